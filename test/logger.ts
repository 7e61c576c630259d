import { spawnSync } from 'node:child_process'
import { connect, createServer, type AddressInfo, type Socket } from 'node:net'
import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { pino, type Logger } from 'pino'
import { socketFd } from '../src/internals.js'
import { BATCH_BYTES, BATCH_MS, isJournalStream, journalLines, stderrDestination, withPriorities } from '../src/logger.js'

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms))

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

t.test('a line with characters past ASCII is written whole, once', async (t) => {
  const log = logFile(t)
  const line = '{"url":"/würfel/⚀🎲"}\n'
  stderrDestination(log.fd).write(line)
  t.equal(log.text(), line)
})

t.test('batched: the lines of BATCH_MS go out together once it has passed, in order', async (t) => {
  const log = logFile(t)
  const destination = stderrDestination(log.fd, true)
  const firstAt = performance.now()
  destination.write('one\n')
  destination.write('two\n')
  t.equal(log.text(), '', 'nothing yet')
  while (log.text() === '') await sleep(1)
  t.ok(performance.now() - firstAt >= BATCH_MS - 1, `written after ${(performance.now() - firstAt).toFixed(1)} ms`)
  t.equal(log.text(), 'one\ntwo\n')
  destination.write('three\n')
  await sleep(BATCH_MS * 4)
  t.equal(log.text(), 'one\ntwo\nthree\n', 'a later line starts a batch of its own')
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
  await sleep(BATCH_MS * 4)
  t.pass('still running')
})

t.test('a short write into a full non-blocking socket keeps what it wrote, in order, once, and does not throw', async (t) => {
  // A TCP peer that does not read yet: the socket (non-blocking, as libuv makes it) takes part of
  // the text, then refuses the rest (EAGAIN), which is dropped.
  const server = createServer({ pauseOnConnect: true })
  t.teardown(() => server.close())
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve))
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1')
  await new Promise((resolve) => client.once('connect', resolve))
  const peer = await accepted
  const text = `${'0123456789'.repeat(3_200_000)}\n`
  t.doesNotThrow(() => stderrDestination(socketFd(client)).write(text))
  client.end()
  const chunks: Buffer[] = []
  peer.on('data', (chunk: Buffer) => chunks.push(chunk)).resume()
  await new Promise((resolve) => peer.once('end', resolve))
  const written = Buffer.concat(chunks).toString('latin1')
  t.ok(written.length > 0 && written.length < text.length, `part of it: ${written.length} of ${text.length} bytes`)
  t.ok(written === text.slice(0, written.length), 'the start of the text, nothing twice')
})

t.test('batched lines still pending when the process exits are written', async (t) => {
  const logger = new URL('../dist/logger.js', import.meta.url).href
  const script = `import(${JSON.stringify(logger)}).then(({ createLogger }) => {
    createLogger('info', { mode: 'listener' }, true).info('last words'); process.exit(3) })`
  const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' })
  t.equal(child.status, 3)
  t.match(child.stderr, /"mode":"listener".*"msg":"last words"/)
})

t.test('a line waiting for its batch does not keep a finished process up, and is written as it exits', async (t) => {
  const logger = new URL('../dist/logger.js', import.meta.url).href
  // What keeps the event loop alive once the line is pending: no timer of ours may be among them.
  const script = `import(${JSON.stringify(logger)}).then(({ createLogger }) => {
    createLogger('info', {}, true).info('done')
    process.stdout.write(JSON.stringify(process.getActiveResourcesInfo())) })`
  const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' })
  t.equal(child.status, 0)
  t.notOk((JSON.parse(child.stdout) as string[]).includes('Timeout'), `nothing holds the process: ${child.stdout}`)
  t.match(JSON.parse(child.stderr) as object, { msg: 'done' }, 'the line, written on exit')
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

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const
const PRIORITIES = ['<2>', '<3>', '<4>', '<6>', '<7>', '<7>']
const NUMBERS = [60, 50, 40, 30, 20, 10]

t.test('withPriorities: each line starts with its syslog priority, then pino\'s JSON as it was, children too', async (t) => {
  for (const batched of [false, true]) {
    const log = logFile(t)
    const logger = withPriorities(pino({ level: 'trace', base: null, timestamp: false }, stderrDestination(log.fd, batched)))
    for (const level of LEVELS) logger[level](level)
    logger.child({ reqId: 'req-1' }).warn('from a child')
    await sleep(BATCH_MS * 4)
    t.equal(log.text(), LEVELS.map((level, i) => `${PRIORITIES[i]}{"level":${NUMBERS[i]},"msg":"${level}"}\n`).join('') +
      '<4>{"level":40,"reqId":"req-1","msg":"from a child"}\n', batched ? 'batched' : 'unbatched')
  }
})

t.test('withPriorities: twice is once; a logger without pino\'s level cache is left alone', async (t) => {
  const log = logFile(t)
  const logger = withPriorities(withPriorities(pino({ base: null, timestamp: false }, stderrDestination(log.fd))))
  logger.info('once')
  t.equal(log.text(), '<6>{"level":30,"msg":"once"}\n')
  const other = {} as Logger
  t.equal(withPriorities(other), other)
})

t.test('without withPriorities the lines stay plain JSON', async (t) => {
  const log = logFile(t)
  pino({ base: null, timestamp: false }, stderrDestination(log.fd)).warn('plain')
  t.equal(log.text(), '{"level":40,"msg":"plain"}\n')
})

t.test('journalLines prefixes every line of a text written straight to stderr, on the journal only', async (t) => {
  t.equal(journalLines('diceroll: bad\n', 3, true), '<3>diceroll: bad\n')
  t.equal(journalLines('diceroll: internal error: Error: x\n    at f (a.js:1:1)\n', 2, true), '<2>diceroll: internal error: Error: x\n<2>    at f (a.js:1:1)\n')
  t.equal(journalLines('diceroll: bad\n', 3, false), 'diceroll: bad\n')
})
