// `npm run build` after tsc (dist/*.js, the plain modules): the fast-starting artifacts.
//   dist/diceroll.cjs        every module in one file (esbuild)
//   dist/diceroll.cjs.cache  its V8 code cache, made after a few real requests
//   dist/launch.cjs          runs the bundle with that cache (falls back to compiling it)
//   dist/diceroll.blob       a startup snapshot holding the built app (node --build-snapshot
//                            dist/snapshot-entry.cjs)
//   dist/diceroll            the launcher the units run: the snapshot when this very node
//                            built it, else launch.cjs
// Each optional step that fails leaves the step before it working, and says so.
// --no-snapshot / --no-code-cache skip those steps; --no-lazy loads every module at start;
// --out=DIR writes there instead of dist/ (the benchmark builds its step variants that way).
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, linkSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { lazyBuiltins, lazyModules, noDepd } from './esbuild-plugins.mjs'
import { LOADER_SOURCE, LAUNCHER_SOURCE } from './launchers.mjs'

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
for (const file of ['diceroll', 'diceroll.cjs', 'diceroll.cjs.map', 'diceroll.cjs.cache', 'launch.cjs', 'diceroll.blob', '.node', 'snapshot-entry.cjs']) {
  rmSync(join(out, file), { force: true })
}

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
  banner: { js: `/* c8 ignore start */\nvar __dicerollMeta = { get url() { return require('node:url').pathToFileURL(require('node:path').resolve(process.argv[1])).href } };` },
  define: { 'import.meta.url': '__dicerollMeta.url' },
  footer: { js: '/* c8 ignore stop */' },
  plugins: flags.has('--no-lazy') ? [] : [lazyModules(['type-is', 'thread-stream', '@fastify/proxy-addr', '@fastify/ajv-compiler', '@fastify/fast-json-stringify-compiler'])],
}
// closing-response.js subclasses http.ServerResponse when it loads: in the snapshot that would
// load node:http at build time, so it loads on first use (per-connection mode, at run time).
const snapshotPlugins = [
  lazyModules(['./closing-response.js'], { './closing-response.js': ['ClosingServerResponse'] }),
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

let snapshot = false
if (!flags.has('--no-snapshot')) {
  await build({
    ...common,
    entryPoints: [join(dist, 'snapshot/entry.js')],
    outfile: join(out, 'snapshot-entry.cjs'),
    plugins: [...common.plugins, ...snapshotPlugins],
  })
  const blob = join(out, 'diceroll.blob')
  const made = spawnSync(node, ['--snapshot-blob', blob, '--build-snapshot', join(out, 'snapshot-entry.cjs')], { env: cleanEnv, encoding: 'utf8' })
  // snapshot-entry.cjs stays: the benchmark builds its --no-rehash-snapshot variant from it.
  if (made.status === 0) {
    snapshot = verifySnapshot(blob)
  } else {
    rmSync(blob, { force: true })
    step(`no startup snapshot, the launcher will run launch.cjs: ${made.stderr.split('\n').filter((l) => /error/i.test(l)).at(-1) ?? `exit ${made.status}`}`)
  }
}

// The launcher must know cheaply that the blob was built by the node it is about to exec (a
// blob from another binary makes node exit 14 before any of our code runs). A hard link to the
// binary makes that a `test -ef`, with no extra process; a Node upgrade replaces the file, so
// the link no longer matches and the launcher uses launch.cjs until the next build.
let check = 'none'
if (snapshot) {
  const stamp = join(out, '.node')
  try {
    linkSync(node, stamp)
    check = 'link'
  } catch (error) {
    check = 'stat'
    writeFileSync(stamp, execFileSync('stat', ['-L', '-c', '%d:%i:%s:%Y', node], { encoding: 'utf8' }))
    step(`cannot hard-link ${node} (${error.code}): the launcher checks it with stat(1) instead, ~1 ms slower`)
  }
}
writeFileSync(join(out, 'diceroll'), LAUNCHER_SOURCE({ node, check }), { mode: 0o755 })
chmodSync(join(out, 'diceroll'), 0o755)
step(`launcher ${shown('diceroll')}: ${snapshot ? 'startup snapshot' : `${shown('launch.cjs')} (no snapshot)`} with ${node}`)

/** A blob that builds can still fail at run time: start it once on `--help`. */
function verifySnapshot(blob) {
  const run = spawnSync(node, ['--snapshot-blob', blob, join(out, 'launch.cjs'), '--help'], { env: cleanEnv, encoding: 'utf8' })
  if (run.status === 0 && run.stdout.startsWith('Usage: diceroll')) {
    step(`startup snapshot ${shown('diceroll.blob')}`)
    return true
  }
  rmSync(blob, { force: true })
  step(`startup snapshot removed, it does not start (exit ${run.status}): ${run.stderr.trim().split('\n')[0]}`)
  return false
}
