// The startup snapshot's bundle leaves the packages the service never loads in a side file
// (scripts/esbuild-plugins.mjs): its heap, which every instance deserializes, keeps the whole
// source of its bundle. Their stand-ins must still load the real packages when asked.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import t from 'tap'
import { withScripts } from './fixtures/scripts.js'

const root = resolve(import.meta.dirname, '..')

t.test('a stand-in loads its package from the side file next to process.argv[1], on first use', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lazy-side-'))
  const main = join(dir, 'main.cjs')
  withScripts(`const { build } = await import('esbuild')
const { lazyModules, sideBundleSource } = await import(scripts + 'esbuild-plugins.mjs')
const bundle = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'error', absWorkingDir: process.cwd() }
await build({ ...bundle, stdin: { contents: args.main, resolveDir: process.cwd(), loader: 'js' }, outfile: args.dir + '/main.cjs', plugins: [lazyModules(['type-is'], {}, 'side.cjs')] })
await build({ ...bundle, stdin: { contents: sideBundleSource(['type-is']), resolveDir: process.cwd(), loader: 'js' }, outfile: args.dir + '/side.cjs' })`, {
    dir,
    main: 'const typeis = require(\'type-is\'); process.stdout.write(typeof typeis.is + \' \' + typeis.is(\'application/json\', [\'json\']))',
  })
  t.notMatch(readFileSync(main, 'utf8'), /mime-db|typeofrequest/i, "the package's code is not in the bundle")
  const run = spawnSync(process.execPath, [main], { cwd: tmpdir(), encoding: 'utf8' })
  t.same([run.status, run.stdout], [0, 'function json'])
})

t.test('dist/snapshot-lazy.cjs has every package the snapshot left out', { skip: !existsSync(join(root, 'dist/snapshot-entry.cjs')) && 'no snapshot bundle was built' }, async (t) => {
  const side = spawnSync(process.execPath, ['-e', `const m = require(${JSON.stringify(join(root, 'dist/snapshot-lazy.cjs'))}); console.log(JSON.stringify(Object.entries(m).map(([k, load]) => [k, typeof load()])))`], { encoding: 'utf8' })
  const loaded = JSON.parse(side.stdout) as Array<[string, string]>
  const entry = readFileSync(join(root, 'dist/snapshot-entry.cjs'), 'utf8')
  t.ok(loaded.length >= 5)
  for (const [name, type] of loaded) {
    t.ok(['function', 'object'].includes(type), `${name} loads`)
    // The minifier writes a loader's key as a property where it can (semver).
    t.ok(entry.includes(`[${JSON.stringify(name)}]()`) || entry.includes(`.${name}()`), `the snapshot bundle has a stand-in for ${name}`)
  }
})

t.test('a build-only stand-in serves the snapshot builder, leaves the blob, and loads again at run time', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lazy-build-only-'))
  // Written apart from the test, so that only the side file's source holds the token.
  writeFileSync(join(dir, 'marker.cjs'), 'module.exports = { token: () => [\'side\', \'token\', \'81f3\'].join(\'-\') + \' \' + \'in the side file\' }\n')
  withScripts(`const { build } = await import('esbuild')
const { lazyModules, sideBundleSource } = await import(scripts + 'esbuild-plugins.mjs')
const bundle = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'error', absWorkingDir: args.dir }
await build({ ...bundle, stdin: { contents: args.main, resolveDir: args.dir, loader: 'js' }, outfile: args.dir + '/main.cjs', plugins: [lazyModules(['./marker.cjs'], {}, 'side.cjs', ['./marker.cjs'])] })
await build({ ...bundle, stdin: { contents: sideBundleSource(['./marker.cjs'], { './marker.cjs': './marker.cjs' }), resolveDir: args.dir, loader: 'js' }, outfile: args.dir + '/side.cjs' })`, {
    dir,
    main: `const v8 = require('node:v8')
const marker = require('./marker.cjs')
const atBuild = marker.token().length
v8.startupSnapshot.setDeserializeMainFunction(() => {
  const heap = require('node:fs').readFileSync(v8.writeHeapSnapshot(require('node:path').join(process.argv[2], 'run.heapsnapshot')), 'latin1')
  process.stdout.write(JSON.stringify([atBuild, heap.includes(['in the', 'side file'].join(' ')), marker.token()]))
})`,
  })
  const blob = join(dir, 'main.blob')
  const built = spawnSync(process.execPath, ['--snapshot-blob', blob, '--build-snapshot', join(dir, 'main.cjs')], { cwd: dir, encoding: 'utf8' })
  t.equal(built.status, 0, 'the blob builds')
  const run = spawnSync(process.execPath, ['--snapshot-blob', blob, join(dir, 'main.cjs'), dir], { cwd: tmpdir(), encoding: 'utf8' })
  t.equal(run.status, 0, 'the blob runs')
  t.same(JSON.parse(run.stdout), [32, false, 'side-token-81f3 in the side file'], 'used at build time, not in the heap at run time, loaded again when asked')
})
