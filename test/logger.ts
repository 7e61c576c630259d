import { spawnSync } from 'node:child_process'
import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { BATCH_BYTES, isJournalStream, journalLines, stderrDestination, withPriority } from '../src/logger.js'

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

t.test('isJournalStream: JOURNAL_STREAM must be the dev:ino of that very fd', async (t) => {
  const log = logFile(t)
  const other = logFile(t)
  const stat = fstatSync(log.fd, { bigint: true })
  const journal = `${stat.dev}:${stat.ino}`
  t.equal(isJournalStream({ JOURNAL_STREAM: journal }, log.fd), true, 'the same file')
  t.equal(isJournalStream({ JOURNAL_STREAM: journal }, other.fd), false, 'redirected since: another inode')
  t.equal(isJournalStream({ JOURNAL_STREAM: `${stat.dev + 1n}:${stat.ino}` }, log.fd), false, 'another device')
  t.equal(isJournalStream({}, log.fd), false, 'not set')
  t.equal(isJournalStream({ JOURNAL_STREAM: '' }, log.fd), false, 'empty')
  t.equal(isJournalStream({ JOURNAL_STREAM: journal }, 987_654), false, 'a closed fd')
})

// Each as pino writes it: the priority goes in front, the JSON stays byte for byte.
const LINES_BY_PRIORITY: Array<[string, string]> = [
  ['<2>', '{"level":60,"msg":"fatal"}\n'],
  ['<3>', '{"level":50,"msg":"error"}\n'],
  ['<4>', '{"level":40,"msg":"warn"}\n'],
  ['<6>', '{"level":30,"msg":"info"}\n'],
  ['<7>', '{"level":20,"msg":"debug"}\n'],
  ['<7>', '{"level":10,"msg":"trace"}\n'],
]

t.test('on the journal each line starts with its syslog priority, batched or not', async (t) => {
  for (const batched of [false, true]) {
    const log = logFile(t)
    const destination = stderrDestination(log.fd, batched, true)
    for (const [, line] of LINES_BY_PRIORITY) destination.write(line)
    await tick()
    t.equal(log.text(), LINES_BY_PRIORITY.map(([prefix, line]) => prefix + line).join(''), batched ? 'batched' : 'unbatched')
  }
})

t.test('off the journal the lines stay plain JSON', async (t) => {
  const log = logFile(t)
  const destination = stderrDestination(log.fd, false, false)
  for (const [, line] of LINES_BY_PRIORITY) destination.write(line)
  t.equal(log.text(), LINES_BY_PRIORITY.map(([, line]) => line).join(''))
})

t.test('withPriority leaves a line that is not a pino level line alone', async (t) => {
  t.equal(withPriority('{"msg":"no level"}\n'), '{"msg":"no level"}\n')
  t.equal(withPriority('{"level":35,"msg":"a custom level"}\n'), '{"level":35,"msg":"a custom level"}\n')
  t.equal(withPriority('plain text\n'), 'plain text\n')
})

t.test('journalLines prefixes every line of a text written straight to stderr, on the journal only', async (t) => {
  t.equal(journalLines('diceroll: bad\n', 3, true), '<3>diceroll: bad\n')
  t.equal(journalLines('diceroll: internal error: Error: x\n    at f (a.js:1:1)\n', 2, true), '<2>diceroll: internal error: Error: x\n<2>    at f (a.js:1:1)\n')
  t.equal(journalLines('diceroll: bad\n', 3, false), 'diceroll: bad\n')
})
