// Log levels in the journal: the built program with its stderr on a real unix stream socket
// (what journald gives a service) and JOURNAL_STREAM set to that socket's dev:ino, as systemd
// does. The shell reads the dev:ino with stat(1) from the very fd the program inherits.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process'
import { connect, createServer, type Socket } from 'node:net'
import t from 'tap'
import { cleanEnv, MAIN, waitExit, waitFor } from './fixtures/run.js'
import { fdOf } from './fixtures/sockets.js'

const PRIORITY: Record<number, number> = { 60: 2, 50: 3, 40: 4, 30: 6, 20: 7, 10: 7 }

/** dist/main.js with JOURNAL_STREAM as systemd sets it, or set to another stream (`mismatch`). */
function spawnOnJournal(args: string[], env: Record<string, string>, stdio: StdioOptions, journal: 'journal' | 'mismatch'): ChildProcess {
  const stream = journal === 'journal' ? '$(stat -L -c %d:%i /proc/self/fd/2)' : '$(stat -L -c %d:%i /proc/self/fd/1)'
  return spawn('sh', ['-c', `JOURNAL_STREAM=${stream} LISTEN_PID=$$ exec node "$0" "$@"`, MAIN, ...args], { env: cleanEnv(env), stdio })
}

/** Every line is `<priority>` + a pino JSON line of the level that priority stands for. */
function parsePrefixed(text: string): Array<{ priority: number; line: Record<string, unknown>; json: string }> {
  return text.split('\n').filter(Boolean).map((raw) => {
    const match = /^<(\d)>(\{.*\})$/.exec(raw)
    if (match === null) throw new Error(`not a prefixed JSON line: ${raw}`)
    const line = JSON.parse(match[2] as string) as Record<string, unknown>
    return { priority: Number(match[1]), line, json: match[2] as string }
  })
}

async function exchange(port: number, request: string): Promise<string> {
  const socket = connect(port, '127.0.0.1')
  socket.setEncoding('utf8')
  let text = ''
  socket.on('data', (chunk: string) => (text += chunk))
  socket.write(request)
  await new Promise((done) => socket.once('close', done))
  return text
}

t.test('listener on the journal: each line carries its priority, the request line too', async (t) => {
  const listener = createServer()
  await new Promise<void>((done) => listener.listen({ host: '127.0.0.1', port: 0 }, done))
  const { port } = listener.address() as { port: number }
  const child = spawnOnJournal(['--mode=listener', '--log-level=debug'], { LISTEN_FDS: '1', LISTEN_FDNAMES: 'http' }, ['ignore', 'pipe', 'pipe', fdOf(listener)], 'journal')
  await new Promise<void>((done) => listener.close(() => done()))
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk))
  const exited = waitExit(child)
  await waitFor(() => (stderr.includes('serving inherited listener') ? true : undefined), 'the listener to serve')
  t.match(await exchange(port, 'GET /roll HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 200 OK\r\n/)
  await waitFor(() => (stderr.includes('"msg":"request"') ? true : undefined), 'the request line')
  child.kill('SIGTERM')
  t.equal((await exited).code, 0)

  const lines = parsePrefixed(stderr)
  for (const { priority, line } of lines) t.equal(priority, PRIORITY[line.level as number], `${String(line.msg)}: level ${String(line.level)} is <${priority}>`)
  const byMessage = (msg: string) => lines.find(({ line }) => line.msg === msg)
  t.equal(byMessage('started')?.priority, 7, 'debug')
  t.equal(byMessage('serving inherited listener fd 3')?.priority, 6, 'info')
  const request = byMessage('request')
  t.equal(request?.priority, 6, 'the request line, written straight to pino\'s stream, is prefixed too')
  t.match(request?.line, { level: 30, mode: 'listener', method: 'GET', url: '/roll', statusCode: 200, remoteAddress: '127.0.0.1' })
  t.equal(request?.json, JSON.stringify(request?.line), 'the JSON after the prefix is pino\'s own line')
})

/** A real TCP connection: the client end for the test, the accepted end for the child's stdin. */
async function connectionPair(): Promise<{ client: Socket; accepted: Socket; close: () => void }> {
  const server = createServer({ pauseOnConnect: true })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const accepted = new Promise<Socket>((done) => server.once('connection', done))
  const client = connect((server.address() as { port: number }).port, '127.0.0.1')
  return { client, accepted: await accepted, close: () => server.close() }
}

t.test('per-connection on the journal: the deadline warning is <4>', async (t) => {
  const { client, accepted, close } = await connectionPair()
  t.teardown(close)
  const child = spawnOnJournal(['--mode=per-connection', '--request-timeout=0.3'], {}, [accepted, 'pipe', 'pipe'], 'journal')
  accepted.destroy()
  client.resume()
  const { code, stderr } = await waitExit(child)
  t.equal(code, 11)
  const warnings = parsePrefixed(stderr).filter(({ priority }) => priority === 4)
  t.match(warnings.map(({ line }) => line), [{ level: 40, msg: 'request deadline passed, closing the connection', deadlineMs: 300 }])
  client.destroy()
})

t.test('a start that fails: the one stderr line is <3> on the journal, plain otherwise', async (t) => {
  const expected = 'diceroll: unknown flag --bogus; run diceroll --help for the flags [DICEROLL_ERR_USAGE]\n'
  const onJournal = await waitExit(spawnOnJournal(['--bogus'], {}, ['ignore', 'pipe', 'pipe'], 'journal'))
  t.equal(onJournal.code, 2)
  t.equal(onJournal.stderr, `<3>${expected}`)
  const elsewhere = await waitExit(spawnOnJournal(['--bogus'], {}, ['ignore', 'pipe', 'pipe'], 'mismatch'))
  t.equal(elsewhere.stderr, expected, 'JOURNAL_STREAM names another stream: no prefix')
})

t.test('JOURNAL_STREAM of another stream: the log lines stay plain JSON', async (t) => {
  const { client, accepted, close } = await connectionPair()
  t.teardown(close)
  const child = spawnOnJournal(['--mode=per-connection', '--request-timeout=0.3'], {}, [accepted, 'pipe', 'pipe'], 'mismatch')
  accepted.destroy()
  client.resume()
  const { stderr } = await waitExit(child)
  const lines = stderr.split('\n').filter(Boolean)
  t.ok(lines.length > 0)
  for (const line of lines) t.match(line, /^\{"level":\d\d,/, 'no prefix')
  client.destroy()
})
