// A per-connection instance (Accept=yes) that gets SIGTERM finishes its one request, or gives up
// at once when none has arrived.
import { createServer, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { rawConnection, REQUEST_HEAD } from './fixtures/listener.js'
import { logLines, spawnActivated, waitExit } from './fixtures/run.js'
import { socketFd } from '../src/internals.js'

/** A real accepted connection, handed to an instance as fd 3 the way systemd does with Accept=yes. */
async function perConnection(args: string[]) {
  // pauseOnConnect: this process must never read the client's bytes; the instance does.
  const server = createServer({ pauseOnConnect: true })
  await new Promise<void>((done) => server.listen({ host: '127.0.0.1', port: 0 }, done))
  const address = server.address()
  if (typeof address !== 'object' || address === null) throw new Error('no address')
  const accepted = new Promise<Socket>((done) => server.once('connection', done))
  const client = await rawConnection(address.port)
  const ours = await accepted
  const fd = socketFd(ours)
  const child = spawnActivated(['--mode=per-connection', '--log-level=debug', ...args], { LISTEN_FDS: '1', LISTEN_FDNAMES: 'connection' }, ['ignore', 'pipe', 'pipe', fd])
  ours.destroy()
  server.close()
  const exited = waitExit(child)
  // Signal handlers are in place once it serves the connection (its one debug line says so).
  await new Promise<void>((ready, fail) => {
    let stderr = ''
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk
      if (stderr.includes('serving the connection on fd 3')) ready()
    })
    void exited.then((result) => fail(new Error(`exited ${result.code}: ${result.stderr}`)))
  })
  return { client, child, exited }
}

t.test('SIGTERM before any byte arrived: gives up at once, exit 12', async (t) => {
  const { client, child, exited } = await perConnection([])
  const at = Date.now()
  child.kill('SIGTERM')
  const { code, stderr } = await exited
  t.equal(code, 12)
  t.ok(Date.now() - at < 1000, 'quickly')
  t.ok(logLines(stderr).some((line) => line.msg === 'stopped before any request arrived, closing the connection'))
  t.equal(await client.response.catch(() => ''), '', 'no response')
})

t.test('SIGTERM with a request under way: it is served, exit 0', async (t) => {
  const { client, child, exited } = await perConnection(['--stop-timeout=5'])
  client.socket.write(REQUEST_HEAD)
  child.kill('SIGTERM')
  await sleep(100)
  client.socket.write('\r\n')
  t.match(await client.response, /^HTTP\/1\.1 200 OK\r\n[\s\S]*"result":\d+/)
  t.equal((await exited).code, 0)
})

t.test('SIGTERM with a request that never completes: cut at the stop timeout, exit 12', async (t) => {
  const { client, child, exited } = await perConnection(['--stop-timeout=0.2'])
  client.socket.write(REQUEST_HEAD)
  child.kill('SIGTERM')
  const { code, stderr } = await exited
  t.equal(code, 12)
  t.ok(logLines(stderr).some((line) => line.msg === 'stopped, and the request did not finish in time'))
  await client.response.catch(() => '')
})
