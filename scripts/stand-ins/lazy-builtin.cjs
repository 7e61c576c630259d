// The stand-in lazyBuiltins() (scripts/esbuild-plugins.mjs) puts in the snapshot's bundle for a
// Node builtin that the snapshot builder cannot load: it loads the real module on first property
// access, which in practice is at run time, after deserialization.
'use strict'

/**
 * `load` requires the real module; `constants` are the values modules read at load time, served
 * without loading it; `keys` are its export names, so the bundler's interop can make a getter for
 * each named import without loading the module (it copies the own keys it sees).
 */
module.exports = function lazyBuiltin(load, constants, keys) {
  let real
  const get = () => (real ??= load())
  return new Proxy({}, {
    get(_, key) {
      if (real === undefined && Object.hasOwn(constants, key)) return constants[key]
      // The bundler's ES-module interop asks this at import time; it is not a reason to load.
      if (real === undefined && key === '__esModule') return undefined
      return get()[key]
    },
    has(_, key) {
      return key in get()
    },
    ownKeys() {
      return [...keys]
    },
    getOwnPropertyDescriptor(_, key) {
      return keys.includes(key) ? { configurable: true, enumerable: true, writable: true, value: undefined } : undefined
    },
  })
}
