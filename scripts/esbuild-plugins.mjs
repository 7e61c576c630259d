import http from 'node:http'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

// esbuild plugins for the startup-snapshot bundle (scripts/build.mjs). The code each puts in the
// bundle is in scripts/stand-ins/; the module generated for each stand-in only calls it.

const standIn = (file) => fileURLToPath(new URL(`./stand-ins/${file}`, import.meta.url))

/**
 * Node 20's snapshot builder cannot load node:http and friends (their parser and timers are not
 * snapshot-safe), yet Fastify requires them at module load. These stand-ins require the real
 * module on first property access, which in practice is at run time, after deserialization.
 */
export function lazyBuiltins(names) {
  // Constant tables that modules read at load time (Fastify's error handler, @fastify/sensible),
  // copied from this very Node: the blob only ever runs on the Node that built it.
  const constants = { http: { STATUS_CODES: http.STATUS_CODES, METHODS: http.METHODS } }
  const keys = Object.fromEntries(names.map((name) => [name, Object.keys(createRequire(import.meta.url)(`node:${name}`))]))
  const filter = new RegExp(`^(node:)?(${names.join('|')})$`)
  return {
    name: 'lazy-builtins',
    setup(build) {
      build.onResolve({ filter }, (args) => args.namespace === 'lazy-builtin'
        ? { path: args.path, external: true }
        : { path: args.path.replace(/^node:/, ''), namespace: 'lazy-builtin' })
      build.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => ({
        contents: `module.exports = require(${JSON.stringify(standIn('lazy-builtin.cjs'))})(() => require(${JSON.stringify(`node:${args.path}`)}), ` +
          `${JSON.stringify(constants[args.path] ?? {})}, ${JSON.stringify(keys[args.path])})`,
        loader: 'js',
        resolveDir: fileURLToPath(new URL('.', import.meta.url)),
      }))
    },
  }
}

/** depd in the snapshot's bundle is scripts/stand-ins/no-depd.cjs (why: there). */
export function noDepd() {
  return {
    name: 'no-depd',
    setup(build) {
      build.onResolve({ filter: /^depd$/ }, () => ({ path: standIn('no-depd.cjs') }))
    },
  }
}

/**
 * Packages required at load but used only on paths this service never or rarely takes: each
 * becomes a stand-in that loads the real package on first use, so neither the bundle's start
 * nor the snapshot's heap pays for them. type-is pulls in mime-db (a large table) for
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
        contents: `const { lazyModule, sideFile, sideFileAtBuild } = require(${JSON.stringify(standIn('lazy-module.cjs'))})
module.exports = lazyModule(${loader(args.path, sideFile, buildOnly)}, ${JSON.stringify(exportNames[args.path] ?? [])}, ${sideFile !== undefined && buildOnly.includes(args.path)})`,
      }))
    },
  }
}

/** The load() a stand-in gets: the package bundled here, or its loader in the side file. */
function loader(name, sideFile, buildOnly) {
  if (sideFile === undefined) return `() => require(${JSON.stringify(name)})`
  return `() => ${buildOnly.includes(name) ? 'sideFileAtBuild' : 'sideFile'}(${JSON.stringify(sideFile)})[${JSON.stringify(name)}]()`
}

/** The side file of lazyModules(names, {}, sideFile): each package, loaded on first use. */
export function sideBundleSource(names, paths = {}) {
  return `module.exports = {\n${names.map((name) => `  ${JSON.stringify(name)}: () => require(${JSON.stringify(paths[name] ?? name)}),`).join('\n')}\n}\n`
}

// esbuild's CommonJS wrapper, as its minifier writes it: `(fn, mod) => () => { ... }`, where
// fn is the module's body and mod its module object once it has run.
const COMMONJS_HELPER = /=\(([\w$]+),([\w$]+)\)=>\(\)=>\{try\{return \2\|\|\1\(\(\2=\{exports:\{\}\}\)\.exports,\2\),\2\.exports\}catch\(([\w$]+)\)\{throw \2=0,\3\}\}/

/**
 * esbuild's wrapper keeps each module's body function after the module has run. In the startup
 * snapshot that is the bytecode of every module body, run once at build time and never again,
 * deserialized by every instance (~130 KB of its heap; docs/benchmarks.md, levers). This
 * rewrites the wrapper to let go of the body once its module has loaded; a module that threw
 * keeps it, so that requiring it again runs it again, as before. `released` is false, and the
 * source unchanged, when the wrapper is not the one this esbuild writes.
 */
export function releaseModuleWrappers(source) {
  const match = COMMONJS_HELPER.exec(source)
  if (match === null) return { source, released: false }
  const [helper, body, mod, error] = match
  const releasing = `=(${body},${mod})=>()=>{try{return ${mod}||(${body}((${mod}={exports:{}}).exports,${mod}),${body}=0),${mod}.exports}catch(${error}){throw ${mod}=0,${error}}}`
  // A function, not a string: `$` in a minified name would be a replacement pattern.
  return { source: source.replace(helper, () => releasing), released: true }
}
