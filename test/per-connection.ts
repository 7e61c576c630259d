// The built program as one instance per connection, as systemd Accept=yes runs it: under
// systemd-socket-activate, and launched by hand with a connection we hold, to see its exit.
import { connect, createServer, type Socket } from 'node:net'
import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { cleanEnv, freePort, get, logLines, MAIN, requestLines, socketActivate, spawnActivated, waitExit } from './fixtures/run.js'

const RESPONSE = /^HTTP\/1\.1 200 OK\r\nconnection: close\r\ncontent-type: application\/json; charset=utf-8\r\ncontent-length: 12\r\nDate: [^\r]+\r\n\r\n\{"result":[1-6]\}$/

t.test('inetd style (--accept --inetd): one instance per connection, Connection: close, logs on stderr', async (t) => {
  const port = await freePort()
  for (const args of [['--mode=per-connection'], []]) {
    const activated = await socketActivate(['--accept', '--inetd'], [`127.0.0.1:${port}`], args)
    const first = await get({ port }, '/roll', { connection: 'keep-alive' })
    const second = await get({ port }, '/roll?dice=3d6-1', { connection: 'keep-alive' })
    t.equal(first.headers.connection, 'close', 'even when the client asked for keep-alive')
    t.equal(second.status, 200)
    t.match(JSON.parse(second.body), { dice: '3d6-1', rolls: [Number, Number, Number] })
    const lines = await requestLines(activated.stderr, 2)
    t.same(lines.map((line) => [line.mode, line.url, line.statusCode]), [['per-connection', '/roll', 200], ['per-connection', '/roll?dice=3d6-1', 200]], args.join(' ') || 'auto')
    t.not(lines[0]?.pid, lines[1]?.pid, 'each connection got its own process')
    await waitFor2Exits(t, activated.stderr)
    await activated.stop()
  }
})

t.test('fd 3 style (--accept): the connection is passed as LISTEN_FDS=1', async (t) => {
  const port = await freePort()
  for (const args of [['--mode=per-connection'], []]) {
    const activated = await socketActivate(['--accept'], [`127.0.0.1:${port}`], args)
    const res = await get({ port }, '/healthz')
    t.same([res.status, res.headers.connection, res.body], [200, 'close', '{"status":"ok"}'])
    t.match(await requestLines(activated.stderr, 1), [{ mode: 'per-connection', url: '/healthz' }])
    await activated.stop()
  }
})

async function waitFor2Exits(t: Test, stderr: () => string): Promise<void> {
  for (let i = 0; i < 100 && (stderr().match(/died with code 0/g) ?? []).length < 2; i++) {
    await new Promise((done) => setTimeout(done, 20))
  }
  t.equal((stderr().match(/died with code 0/g) ?? []).length, 2, 'both instances exited 0')
}

/** A real TCP connection: the client end for the test, the accepted end for the child. */
async function connectionPair(): Promise<{ client: Socket; accepted: Socket; close: () => void }> {
  const server = createServer({ pauseOnConnect: true })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const accepted = new Promise<Socket>((done) => server.once('connection', done))
  const client = connect((server.address() as { port: number }).port, '127.0.0.1')
  const pair = { client, accepted: await accepted, close: () => server.close() }
  return pair
}

function readAll(socket: Socket): Promise<string> {
  let text = ''
  socket.setEncoding('utf8')
  socket.on('data', (chunk: string) => (text += chunk))
  return new Promise((done) => socket.once('close', () => done(text)))
}

for (const where of ['stdin', 'fd 3'] as const) {
  t.test(`connection on ${where}: answers one request, exit code 0`, async (t) => {
    const { client, accepted, close } = await connectionPair()
    t.teardown(close)
    const child = where === 'stdin'
      ? spawn(process.execPath, [MAIN, '--mode=per-connection'], { env: cleanEnv({ REMOTE_ADDR: '192.0.2.7' }), stdio: [accepted, 'pipe', 'pipe'] })
      : spawnActivated(['--mode=per-connection'], { LISTEN_FDS: '1', LISTEN_FDNAMES: 'connection' }, ['ignore', 'pipe', 'pipe', accepted])
    accepted.destroy() // the child holds its own copy; ours would keep the connection open
    const exited = waitExit(child)
    const response = readAll(client)
    client.write('GET /roll HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n')
    t.match(await response, RESPONSE)
    const { code, stdout, stderr } = await exited
    t.equal(code, 0)
    t.equal(stdout, '', 'nothing is ever written to stdout')
    // systemd sets REMOTE_ADDR for Accept=yes instances; it names the client in the log line.
    const remote = where === 'stdin' ? '192.0.2.7' : '127.0.0.1'
    t.match(logLines(stderr), [{ msg: 'request', mode: 'per-connection', remoteAddress: remote }])
  })

  t.test(`connection on ${where}: a client that never sends its request hits --request-timeout, exit code 11`, async (t) => {
    const { client, accepted, close } = await connectionPair()
    t.teardown(close)
    const started = Date.now()
    const child = where === 'stdin'
      ? spawn(process.execPath, [MAIN, '--mode=per-connection', '--request-timeout=0.5'], { env: cleanEnv(), stdio: [accepted, 'pipe', 'pipe'] })
      : spawnActivated(['--mode=per-connection', '--request-timeout=0.5'], { LISTEN_FDS: '1', LISTEN_FDNAMES: 'connection' }, ['ignore', 'pipe', 'pipe', accepted])
    accepted.destroy()
    const response = readAll(client)
    client.write('GET /roll HTTP/1.1\r\n')
    const { code, stderr } = await waitExit(child)
    t.equal(code, 11)
    t.ok(Date.now() - started < 5000, 'the deadline bounds the instance')
    t.match(await response, /^HTTP\/1\.1 408 Request Timeout\r\n/, 'the client gets a 408, then the connection closes')
    t.match(stderr, /"msg":"request deadline passed, closing the connection"/)
  })
}
