// The snapshot's rule (src/app-options.ts): no module reads env, pid or randomness at import,
// since the startup snapshot would freeze what it read into every process started from it. Each
// built module is loaded in a fresh node that records such reads (fixtures/import-watch.mjs).
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import t from 'tap'

const root = resolve(import.meta.dirname, '..')
const WATCH = pathToFileURL(join(import.meta.dirname, 'fixtures/import-watch.mjs')).href
// Entry points run when loaded, by design: the bin file runs main(), the snapshot's entry builds
// the app (what that may read is what AppOptions leaves to the run) and needs a snapshot build.
const ENTRY_POINTS = new Set(['main.ts', 'snapshot/entry.ts'])

t.setTimeout(300_000)

/** What loading `file` (a module's URL) read that it must not, as the watcher recorded it. */
async function readsAtImport(file: string, dir: string): Promise<string[]> {
  const code = `await import(${JSON.stringify(file)}); process.stdout.write(JSON.stringify(globalThis[Symbol.for('diceroll.importWatch')]))`
  const child = spawn(process.execPath, ['--import', WATCH, '--input-type=module', '-e', code], {
    env: { ...process.env, DICEROLL_WATCH_DIR: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk))
  const status = await new Promise((done) => child.once('close', done))
  if (status !== 0) throw new Error(`loading ${file} failed (exit ${String(status)}): ${stderr}`)
  return JSON.parse(stdout) as string[]
}

function modules(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts')).sort()
}

t.test('the watcher sees each kind of read at import, made directly or through a function', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'import-watch-'))
  writeFileSync(join(dir, 'reads.mjs'), `import { randomBytes } from 'node:crypto'
import { openSync, closeSync } from 'node:fs'
const port = process.env.PORT
const { pid } = process
const rolled = [Math.random(), randomBytes(1), globalThis.crypto.randomUUID()]
closeSync(openSync('/dev/urandom', 'r'))
const later = () => process.env.HOME
export { port, pid, rolled, later }
`)
  t.same(await readsAtImport(pathToFileURL(join(dir, 'reads.mjs')).href, dir),
    ['process.env', 'process.pid', 'Math.random', 'crypto.randomBytes', 'crypto.randomUUID', 'fs.openSync(/dev/urandom)'])
  writeFileSync(join(dir, 'quiet.mjs'), 'export const later = () => [process.env.HOME, process.pid, Math.random()]\n')
  t.same(await readsAtImport(pathToFileURL(join(dir, 'quiet.mjs')).href, dir), [], 'reads in functions called later are not reads at import')
})

t.test('no module under src/ reads env, pid or randomness when it loads', async (t) => {
  const dist = join(root, 'dist')
  const sources = modules(join(root, 'src')).filter((file) => !ENTRY_POINTS.has(file))
  t.ok(sources.length >= 30, `${sources.length} modules`)
  for (const source of sources) {
    const built = pathToFileURL(join(dist, source.replace(/\.ts$/, '.js'))).href
    // Stack frames name dist/ or, with source maps on, src/.
    t.same(await readsAtImport(built, `${dist}:${join(root, 'src')}`), [], relative(root, join(root, 'src', source)))
  }
})
