// The startup snapshot's bundle leaves the packages the service never loads in a side file
// (scripts/esbuild-plugins.mjs): its heap, which every instance deserializes, keeps the whole
// source of its bundle. Their stand-ins must still load the real packages when asked.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
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
    main: `const typeis = require('type-is'); process.stdout.write(typeof typeis.is + ' ' + typeis.is('application/json', ['json']))`,
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
    t.equal(type, 'function', `${name} loads`)
    t.ok(entry.includes(JSON.stringify(name)), `the snapshot bundle has a stand-in for ${name}`)
  }
})

