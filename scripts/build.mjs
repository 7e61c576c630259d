// `npm run build` after tsc (dist/*.js, the plain modules): the fast-starting artifacts.
//   dist/diceroll.cjs        every module in one file (esbuild)
//   dist/diceroll.cjs.cache  its V8 code cache, made after a few real requests
//   dist/launch.cjs          runs the bundle with that cache (falls back to compiling it)
//   dist/diceroll.blob       a startup snapshot holding the built app (node --build-snapshot
//                            dist/snapshot-entry.cjs); dist/diceroll-per-connection.blob
//                            the same, for per-connection instances, not rehashed at start
//   dist/diceroll            the launcher the units run: the snapshot when this very node
//                            built it, else launch.cjs
// Each optional step that fails leaves the step before it working, and says so.
// --no-snapshot / --no-code-cache skip those steps; --no-lazy loads every module at start;
// --no-prune leaves the code cache of every builtin in the blobs (scripts/prune-code-cache.mjs);
// --sparkplug leaves V8's baseline compiler on in both blobs (LISTENER_FLAGS, PER_CONNECTION_FLAGS);
// --out=DIR writes there instead of dist/ (the benchmark builds its step variants that way).
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { lazyBuiltins, lazyModules, noDepd, releaseModuleWrappers, sideBundleSource } from './esbuild-plugins.mjs'
import { LOADER_SOURCE } from './launchers.mjs'
import { makeSnapshotAndLauncher } from './snapshot.mjs'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const dist = join(root, 'dist')
const flags = new Set(process.argv.slice(2))
const outArg = process.argv.find((arg) => arg.startsWith('--out='))
const out = outArg ? resolve(outArg.slice(6)) : dist
mkdirSync(out, { recursive: true })
const started = Date.now()
const shown = (file) => relative(root, join(out, file))
const step = (message) => console.log(`build: ${message} (${Date.now() - started} ms)`)

// Nothing stale (an old blob, an old cache) may survive a build.
for (const file of ['diceroll', 'diceroll.cjs', 'diceroll.cjs.map', 'diceroll.cjs.cache', 'launch.cjs', 'diceroll.blob', 'diceroll-per-connection.blob', '.node', 'snapshot-entry.cjs', 'snapshot-lazy.cjs']) {
  rmSync(join(out, file), { force: true })
}

// Loaded only on paths this service never or rarely takes (scripts/esbuild-plugins.mjs).
const LAZY = ['type-is', 'thread-stream', '@fastify/proxy-addr', '@fastify/ajv-compiler', '@fastify/fast-json-stringify-compiler', 'light-my-request']
// Used only while plugins and routes register, which for the snapshot's app is at build time:
// semver (Fastify's plugin version checks, with its many regexes and tables), safe-regex2 and
// its parser ret (find-my-way's regex-route checks), Fastify's Ajv-made options validator. The
// snapshot's stand-ins load them from the side file while it builds and let go of them before
// the heap is written, so no instance deserializes them; a later use loads them again.
const BUILD_ONLY = ['semver', 'safe-regex2', './config-validator']
const SIDE_PATHS = { './config-validator': 'fastify/lib/config-validator' }
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
  // The bundle is left out of test coverage (its mappings would not line up with the modules');
  // the tests cover src/ through the modules and run the bundle and the snapshot as they ship.
  // CommonJS output has no import.meta; notify.ts finds its native addon from import.meta.url.
  // A getter, read when used: in the snapshot, anything computed at build time would be frozen.
  // process.argv[1] is dist/launch.cjs in both the bundle and the snapshot (the launcher passes it).
  banner: { js: '/* c8 ignore start */\nvar __dicerollMeta = { get url() { return require(\'node:url\').pathToFileURL(require(\'node:path\').resolve(process.argv[1])).href } };' },
  define: { 'import.meta.url': '__dicerollMeta.url' },
  footer: { js: '/* c8 ignore stop */' },
  plugins: flags.has('--no-lazy') ? [] : [lazyModules(LAZY)],
}
// closing-response.js subclasses http.ServerResponse when it loads: in the snapshot that would
// load node:http at build time, so it loads on first use (per-connection mode, at run time).
const snapshotPlugins = [
  lazyModules(['./http/closing-response.js'], { './http/closing-response.js': ['ClosingServerResponse'] }),
  lazyBuiltins(['http', 'https', 'http2', 'dns']),
  noDepd(),
]
await build({ ...common, entryPoints: [join(dist, 'main.js')], outfile: join(out, 'diceroll.cjs') })
// main.js's #! line is kept by esbuild, but the loader compiles the bundle inside a function.
const bundled = readFileSync(join(out, 'diceroll.cjs'), 'utf8')
if (bundled.startsWith('#!')) writeFileSync(join(out, 'diceroll.cjs'), `//${bundled}`)
writeFileSync(join(out, 'launch.cjs'), LOADER_SOURCE, { mode: 0o755 })
step(`bundled ${shown('diceroll.cjs')}, loader ${shown('launch.cjs')}`)

const node = realpathSync(process.execPath)
const cleanEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/' }

if (!flags.has('--no-code-cache')) {
  const made = spawnSync(node, [join(root, 'scripts/make-code-cache.cjs'), join(out, 'diceroll.cjs')], { env: cleanEnv, encoding: 'utf8' })
  if (made.status === 0) step(`code cache ${shown('diceroll.cjs.cache')}`)
  else step(`no code cache, launch.cjs will compile the bundle each start: ${made.stderr.trim().split('\n').at(-1)}`)
}

if (!flags.has('--no-snapshot')) {
  await build({
    ...common,
    entryPoints: [join(dist, 'snapshot/entry.js')],
    outfile: join(out, 'snapshot-entry.cjs'),
    plugins: [...(flags.has('--no-lazy') ? [] : [lazyModules([...LAZY, ...BUILD_ONLY], {}, 'snapshot-lazy.cjs', BUILD_ONLY)]), ...snapshotPlugins],
  })
  const entry = join(out, 'snapshot-entry.cjs')
  const { source, released } = releaseModuleWrappers(readFileSync(entry, 'utf8'))
  if (released) writeFileSync(entry, source)
  else step('the module bodies stay in the snapshot: esbuild wrote a CommonJS wrapper releaseModuleWrappers() does not know (scripts/esbuild-plugins.mjs)')
  if (!flags.has('--no-lazy')) {
    await build({ ...common, plugins: [], stdin: { contents: sideBundleSource([...LAZY, ...BUILD_ONLY], SIDE_PATHS), resolveDir: root, loader: 'js' }, outfile: join(out, 'snapshot-lazy.cjs') })
  }
}
// snapshot-entry.cjs stays: install-units builds the blobs again for the node the units run.
makeSnapshotAndLauncher({ out, node, skip: flags.has('--no-snapshot'), prune: !flags.has('--no-prune'), sparkplug: flags.has('--sparkplug'), log: (message) => step(message.replace(`${out}/`, `${shown('')}/`)) })
