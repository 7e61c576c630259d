// releaseModuleWrappers() (scripts/esbuild-plugins.mjs) on esbuild's own output: the startup
// snapshot lets go of each module's body once it has run, and requiring behaves as before.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import t from 'tap'
import { withScripts } from './fixtures/scripts.js'

const root = resolve(import.meta.dirname, '..')
const MARKER = 'only-while-loading-81f5'

/** Bundles `files` (main.cjs first) as the build does, minified; `release` applies the rewrite. Returns whether it did. */
function bundle(dir: string, files: Record<string, string>, release: boolean): boolean {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  const out = withScripts(`const { build } = await import('esbuild')
const { readFileSync, writeFileSync } = await import('node:fs')
const { releaseModuleWrappers } = await import(scripts + 'esbuild-plugins.mjs')
const outfile = args.dir + '/bundle.cjs'
await build({ bundle: true, minify: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'error', entryPoints: [args.dir + '/main.cjs'], outfile })
const { source, released } = args.release ? releaseModuleWrappers(readFileSync(outfile, 'utf8')) : { source: readFileSync(outfile, 'utf8'), released: false }
writeFileSync(outfile, source)
process.stdout.write(String(released))`, { dir, release })
  return out === 'true'
}

t.test('a released module loads once, keeps its exports, and one that threw runs again when required again', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wrappers-'))
  const released = bundle(dir, {
    'main.cjs': `const first = require('./counted.cjs')
const again = require('./counted.cjs')
let failures = 0
let flaky
for (let i = 0; i < 3 && flaky === undefined; i++) {
  try { flaky = require('./flaky.cjs') } catch { failures++ }
}
process.stdout.write(JSON.stringify([first === again, globalThis.loads, first.value, failures, flaky.attempts, require('./flaky.cjs') === flaky]))
`,
    'counted.cjs': 'globalThis.loads = (globalThis.loads ?? 0) + 1\nmodule.exports = { value: 6 }\n',
    'flaky.cjs': 'globalThis.attempts = (globalThis.attempts ?? 0) + 1\nif (globalThis.attempts < 3) throw new Error(\'not yet\')\nmodule.exports = { attempts: globalThis.attempts }\n',
  }, true)
  t.equal(released, true, "esbuild's wrapper is the one the rewrite knows")
  const run = spawnSync(process.execPath, [join(dir, 'bundle.cjs')], { encoding: 'utf8' })
  t.equal(run.status, 0, run.stderr)
  t.same(JSON.parse(run.stdout), [true, 1, 6, 2, 3, true])
})

t.test("a module's body is in the snapshot's heap without the rewrite and gone with it", async (t) => {
  const files = {
    // The body of module.cjs runs only while it loads, at build time. Required again at run
    // time, as the modules of the real bundle are from each other's functions: that is what
    // keeps a module's wrapper, and so its body, alive.
    'main.cjs': `const v8 = require('node:v8')
require('./module.cjs')
v8.startupSnapshot.setDeserializeMainFunction(() => {
  const file = v8.writeHeapSnapshot(require('node:path').join(process.argv[2], 'run.heapsnapshot'))
  const heap = JSON.parse(require('node:fs').readFileSync(file, 'utf8'))
  // Passed reversed: the marker itself in argv would be a string of this heap too.
  const marker = [...process.argv[3]].reverse().join('')
  const fields = heap.snapshot.meta.node_fields
  const types = heap.snapshot.meta.node_types[0]
  let strings = 0
  for (let i = 0; i < heap.nodes.length; i += fields.length) {
    const type = types[heap.nodes[i + fields.indexOf('type')]]
    if (type === 'string' && heap.strings[heap.nodes[i + fields.indexOf('name')]] === marker) strings++
  }
  process.stdout.write(JSON.stringify([require('./module.cjs').six(), strings]))
})
`,
    // The literal is a constant of the module's body alone; split(), so the minifier keeps it.
    'module.cjs': `const value = '${MARKER}'.split('-').length\nmodule.exports = { six: () => value + 2 }\n`,
  }
  const found: Record<string, unknown> = {}
  for (const release of [false, true]) {
    const dir = mkdtempSync(join(tmpdir(), 'wrappers-heap-'))
    t.equal(bundle(dir, files, release), release)
    const blob = join(dir, 'main.blob')
    const built = spawnSync(process.execPath, ['--snapshot-blob', blob, '--build-snapshot', join(dir, 'bundle.cjs')], { cwd: dir, encoding: 'utf8' })
    t.equal(built.status, 0, built.stderr)
    const run = spawnSync(process.execPath, ['--snapshot-blob', blob, join(dir, 'bundle.cjs'), dir, [...MARKER].reverse().join('')], { cwd: tmpdir(), encoding: 'utf8' })
    t.equal(run.status, 0, run.stderr)
    found[release ? 'released' : 'kept'] = JSON.parse(run.stdout)
  }
  t.same(found.kept, [6, 1], "without the rewrite the body's constant is in the heap")
  t.same(found.released, [6, 0], 'with it, gone, and the module works')
})

t.test('a wrapper the rewrite does not know is left as it is', async (t) => {
  const source = 'var a=(b,c)=>()=>(c||b((c={exports:{}}).exports,c),c.exports);module.exports=a'
  const result = JSON.parse(withScripts(`const { releaseModuleWrappers } = await import(scripts + 'esbuild-plugins.mjs')
process.stdout.write(JSON.stringify(releaseModuleWrappers(args.source)))`, { source })) as { source: string; released: boolean }
  t.same(result, { source, released: false })
})

t.test('the build released the module bodies of dist/snapshot-entry.cjs', { skip: !existsSync(join(root, 'dist/snapshot-entry.cjs')) && 'no snapshot bundle was built' }, async (t) => {
  const result = JSON.parse(withScripts(`const { releaseModuleWrappers } = await import(scripts + 'esbuild-plugins.mjs')
const { readFileSync } = await import('node:fs')
process.stdout.write(JSON.stringify(releaseModuleWrappers(readFileSync(args.file, 'utf8')).released))`, { file: join(root, 'dist/snapshot-entry.cjs') })) as boolean
  t.equal(result, false, 'no wrapper that keeps its body is left: the build rewrote it')
  t.match(readFileSync(join(root, 'dist/snapshot-entry.cjs'), 'utf8'), /=0\),[\w$]+\.exports\}catch/)
})
