import http from 'node:http'
import { createRequire } from 'node:module'

// esbuild plugins for the startup-snapshot bundle (scripts/build.mjs).

/**
 * Node 20's snapshot builder cannot load node:http and friends (their parser and timers are not
 * snapshot-safe), yet Fastify requires them at module load. These stand-ins require the real
 * module on first property access, which in practice is at run time, after deserialization.
 */
export function lazyBuiltins(names) {
  // Constant tables that modules read at load time (Fastify's error handler, @fastify/sensible),
  // copied from this very Node: the blob only ever runs on the Node that built it.
  const constants = { http: { STATUS_CODES: http.STATUS_CODES, METHODS: http.METHODS } }
  // Export names, so the bundler's interop can make a getter for each named import without
  // loading the module (it copies the own keys it sees).
  const keys = Object.fromEntries(names.map((name) => [name, Object.keys(createRequire(import.meta.url)(`node:${name}`))]))
  const filter = new RegExp(`^(node:)?(${names.join('|')})$`)
  return {
    name: 'lazy-builtins',
    setup(build) {
      build.onResolve({ filter }, (args) => args.namespace === 'lazy-builtin'
        ? { path: args.path, external: true }
        : { path: args.path.replace(/^node:/, ''), namespace: 'lazy-builtin' })
      build.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => ({
        contents: `let real
const constants = ${JSON.stringify(constants[args.path] ?? {})}
module.exports = new Proxy({}, {
  get(_, key) {
    if (real === undefined && Object.hasOwn(constants, key)) return constants[key]
    // The bundler's ES-module interop asks this at import time; it is not a reason to load.
    if (real === undefined && key === '__esModule') return undefined
    real ??= require('node:${args.path}')
    return real[key]
  },
  has(_, key) { real ??= require('node:${args.path}'); return key in real },
  ownKeys() { return ${JSON.stringify(keys[args.path])} },
  getOwnPropertyDescriptor(_, key) {
    return ${JSON.stringify(keys[args.path])}.includes(key) ? { configurable: true, enumerable: true, writable: true, value: undefined } : undefined
  },
})`,
        loader: 'js',
      }))
    },
  }
}

/**
 * depd (via http-errors) inspects call sites with Error.prepareStackTrace at module load, which
 * the snapshot builder rejects; its deprecation warnings are for http-errors' own old APIs, which
 * we don't call.
 */
export function noDepd() {
  return {
    name: 'no-depd',
    setup(build) {
      build.onResolve({ filter: /^depd$/ }, () => ({ path: 'depd', namespace: 'no-depd' }))
      build.onLoad({ filter: /.*/, namespace: 'no-depd' }, () => ({
        contents: `module.exports = function depd() {
  function deprecate() {}
  deprecate.function = (fn) => fn
  deprecate.property = () => {}
  return deprecate
}`,
        loader: 'js',
      }))
    },
  }
}

/** The snapshot builder's realm lacks Array.prototype.toSorted, which node:http uses at load. */
export const TO_SORTED_POLYFILL = `if (!Array.prototype.toSorted) {
  Object.defineProperty(Array.prototype, 'toSorted', {
    value: function toSorted(compare) { return Array.prototype.slice.call(this).sort(compare) },
    writable: true, configurable: true,
  })
}`

/**
 * Packages required at load but used only on paths this service never or rarely takes: each
 * becomes a stand-in that loads the real package on first use, so neither the bundle's start
 * nor the snapshot's heap pays for them. type-is pulls in mime-db (a 200 kB table) for
 * @fastify/sensible's request.is(); thread-stream is pino's worker transport; proxy-addr serves
 * Fastify's trustProxy; light-my-request is Fastify's inject(), for tests (Fastify already
 * requires it on first use; as a stand-in its code also leaves the snapshot). exportNames lists a module's named exports, for ES-module importers.
 * With `sideFile`, the real packages are not in this bundle at all but in that file next to
 * dist/launch.cjs (see sideBundleSource): the startup snapshot keeps every byte of its bundle's
 * source in its heap, loaded or not, and each instance pays to deserialize it.
 */
let lazyModulePlugins = 0

export function lazyModules(names, exportNames = {}, sideFile = undefined, buildOnly = []) {
  const namespace = `lazy-module-${++lazyModulePlugins}`
  const filter = new RegExp(`^(${names.map((name) => name.replace(/[/.]/g, '\\$&')).join('|')})$`)
  return {
    name: 'lazy-modules',
    setup(build) {
      build.onResolve({ filter }, (args) => args.namespace === namespace
        ? undefined
        : { path: args.path, namespace, pluginData: { resolveDir: args.resolveDir } })
      build.onLoad({ filter: /.*/, namespace }, (args) => ({
        resolveDir: args.pluginData.resolveDir,
        loader: 'js',
        contents: `let real
${sideFile !== undefined && buildOnly.includes(args.path) ? buildOnlyLoader(sideFile, args.path) : `const load = () => (real ??= ${sideFile === undefined ? `require(${JSON.stringify(args.path)})` : `require('node:module').createRequire(require('node:path').resolve(process.argv[1]))(${JSON.stringify(`./${sideFile}`)})[${JSON.stringify(args.path)}]()`})`}
module.exports = new Proxy(function () {}, {
  get(_, key) { return real === undefined && key === '__esModule' ? undefined : load()[key] },
  has(_, key) { return key in load() },
  apply(_, self, args) { return Reflect.apply(load(), self, args) },
  construct(_, args) { return Reflect.construct(load(), args) },
  ownKeys(target) { return [...Reflect.ownKeys(target), ...${JSON.stringify(exportNames[args.path] ?? [])}] },
  getOwnPropertyDescriptor(target, key) {
    return Reflect.getOwnPropertyDescriptor(target, key) ?? (${JSON.stringify(exportNames[args.path] ?? [])}.includes(key) ? { configurable: true, enumerable: true, writable: true, value: undefined } : undefined)
  },
})`,
      }))
    },
  }
}

/**
 * load() of a build-only stand-in. While the snapshot builds, Node's CommonJS loader must not
 * load the side file (a blob whose builder loaded a user module refuses to start), so it runs
 * as a plain function; its package is dropped before the heap is written. Later uses, at run
 * time, require it as usual.
 */
function buildOnlyLoader(sideFile, name) {
  return `const { startupSnapshot } = require('node:v8')
const side = () => {
  const file = require('node:path').resolve(process.argv[1], '..', ${JSON.stringify(sideFile)})
  if (!startupSnapshot.isBuildingSnapshot()) return require('node:module').createRequire(file)(file)
  const module = { exports: {} }
  const source = require('node:fs').readFileSync(file, 'utf8')
  // Not node:vm: a builtin loaded here would stay in the heap of every instance.
  new Function('exports', 'require', 'module', source)(module.exports, require, module)
  return module.exports
}
const load = () => (real ??= side()[${JSON.stringify(name)}]())
if (startupSnapshot.isBuildingSnapshot()) startupSnapshot.addSerializeCallback(() => { real = undefined })`
}

/** The side file of lazyModules(names, {}, sideFile): each package, loaded on first use. */
export function sideBundleSource(names, paths = {}) {
  return `module.exports = {\n${names.map((name) => `  ${JSON.stringify(name)}: () => require(${JSON.stringify(paths[name] ?? name)}),`).join('\n')}\n}\n`
}
