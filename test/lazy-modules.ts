// The startup snapshot's bundle leaves the packages the service never loads in a side file
// (scripts/esbuild-plugins.mjs): its heap, which every instance deserializes, keeps the whole
// source of its bundle. Their stand-ins must still load the real packages when asked.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { build } from 'esbuild'
import t from 'tap'
import { lazyModules, sideBundleSource } from '../scripts/esbuild-plugins.mjs'

const root = resolve(import.meta.dirname, '..')
const bundle = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'error' } as const

t.test('a stand-in loads its package from the side file next to process.argv[1], on first use', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lazy-side-'))
  const main = join(dir, 'main.cjs')
  await build({
    ...bundle,
    stdin: { contents: `const typeis = require('type-is'); process.stdout.write(typeof typeis.is + ' ' + typeis.is('application/json', ['json']))`, resolveDir: root, loader: 'js' },
    outfile: main,
    plugins: [lazyModules(['type-is'], {}, 'side.cjs')],
  })
  await build({ ...bundle, stdin: { contents: sideBundleSource(['type-is']), resolveDir: root, loader: 'js' }, outfile: join(dir, 'side.cjs') })
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

