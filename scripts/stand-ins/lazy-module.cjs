// The stand-in lazyModules() (scripts/esbuild-plugins.mjs) puts in a bundle for a package that is
// required at load but used only on paths this service never or rarely takes: it loads the real
// package on first use, as a value, a function or a class.
'use strict'

/**
 * `load` returns the real package (bundled, or from a side file: see below); `exportNames` are its named exports,
 * for ES-module importers. With `buildOnly`, what was loaded while the startup snapshot builds is
 * let go before the heap is written, so no instance deserializes it; a later use loads it again.
 */
function lazyModule(load, exportNames, buildOnly = false) {
  let real
  const get = () => (real ??= load())
  if (buildOnly) {
    const { startupSnapshot } = require('node:v8')
    if (startupSnapshot.isBuildingSnapshot()) startupSnapshot.addSerializeCallback(() => { real = undefined })
  }
  return new Proxy(function () {}, {
    get(_, key) {
      return real === undefined && key === '__esModule' ? undefined : get()[key]
    },
    has(_, key) {
      return key in get()
    },
    apply(_, self, args) {
      return Reflect.apply(get(), self, args)
    },
    construct(_, args) {
      return Reflect.construct(get(), args)
    },
    ownKeys(target) {
      return [...Reflect.ownKeys(target), ...exportNames]
    },
    getOwnPropertyDescriptor(target, key) {
      return Reflect.getOwnPropertyDescriptor(target, key) ?? (exportNames.includes(key) ? { configurable: true, enumerable: true, writable: true, value: undefined } : undefined)
    },
  })
}

/**
 * The exports of `file`, the side file next to process.argv[1] (dist/launch.cjs) that holds the
 * packages left out of the bundle: the startup snapshot keeps every byte of its bundle's source
 * in its heap, loaded or not, and each instance pays to deserialize it.
 */
function sideFile(file) {
  return require('node:module').createRequire(require('node:path').resolve(process.argv[1]))(`./${file}`)
}

/**
 * sideFile() for a build-only package. While the snapshot builds, Node's CommonJS loader must
 * not load the side file (a blob whose builder loaded a user module refuses to start), so it runs
 * as a plain function; at run time it is required as usual.
 */
function sideFileAtBuild(file) {
  const { startupSnapshot } = require('node:v8')
  const path = require('node:path').resolve(process.argv[1], '..', file)
  if (!startupSnapshot.isBuildingSnapshot()) return require('node:module').createRequire(path)(path)
  const module = { exports: {} }
  const source = require('node:fs').readFileSync(path, 'utf8')
  // Not node:vm: a builtin loaded here would stay in the heap of every instance.
  // eslint-disable-next-line no-new-func -- the side file's source, run as CommonJS would run it
  new Function('exports', 'require', 'module', source)(module.exports, require, module)
  return module.exports
}

module.exports = { lazyModule, sideFile, sideFileAtBuild }
