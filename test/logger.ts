import { spawnSync } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { BATCH_BYTES, stderrDestination } from '../src/logger.js'

const tick = () => new Promise((done) => setImmediate(done))

function logFile(t: Test): { fd: number; text: () => string } {
  const path = join(mkdtempSync(join(tmpdir(), 'diceroll-log-')), 'log')
  const fd = openSync(path, 'w')
  t.teardown(() => closeSync(fd))
  return { fd, text: () => readFileSync(path, 'utf8') }
}

t.test('unbatched: every line is written at once', async (t) => {
  const log = logFile(t)
  const destination = stderrDestination(log.fd)
  destination.write('{"a":1}\n')
  t.equal(log.text(), '{"a":1}\n')
})

t.test('batched: the lines of one turn go out together at its end, in order', async (t) => {
  const log = logFile(t)
  const destination = stderrDestination(log.fd, true)
  destination.write('one\n')
  destination.write('two\n')
  t.equal(log.text(), '', 'nothing yet')
  await tick()
  t.equal(log.text(), 'one\ntwo\n')
  destination.write('three\n')
  await tick()
  t.equal(log.text(), 'one\ntwo\nthree\n')
})

t.test('batched: a batch past BATCH_BYTES is written at once', async (t) => {
  const log = logFile(t)
  const destination = stderrDestination(log.fd, true)
  const big = `${'x'.repeat(BATCH_BYTES)}\n`
  destination.write(big)
  t.equal(log.text(), big)
})

t.test('a write that fails drops the line and does not throw', async (t) => {
  const full = openSync('/dev/full', 'w')
  t.teardown(() => closeSync(full))
  t.doesNotThrow(() => stderrDestination(full).write('lost\n'))
  const batched = stderrDestination(full, true)
  batched.write('lost too\n')
  await tick()
  t.pass('still running')
})

t.test('batched lines still pending when the process exits are written', async (t) => {
  const logger = new URL('../dist/logger.js', import.meta.url).href
  const script = `import(${JSON.stringify(logger)}).then(({ createLogger }) => {
    createLogger('info', { mode: 'listener' }, true).info('last words'); process.exit(3) })`
  const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' })
  t.equal(child.status, 3)
  t.match(child.stderr, /"mode":"listener".*"msg":"last words"/)
})

t.test('createLogger writes pino JSON with the pid and bindings', async (t) => {
  const child = spawnSync(process.execPath, ['-e', `import(${JSON.stringify(new URL('../dist/logger.js', import.meta.url).href)}).then(({ createLogger }) => createLogger('warn', { mode: 'standalone' }).warn('hello'))`], { encoding: 'utf8' })
  const line = JSON.parse(child.stderr) as Record<string, unknown>
  t.match(line, { level: 40, mode: 'standalone', pid: Number, msg: 'hello' })
})
