// SIGTERM/SIGINT: stop accepting, finish what was accepted, exit 0; cut only at the stop timeout.
import { Agent, request } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { rawConnection, REQUEST_HEAD, startListener } from './fixtures/listener.js'
import { logLines } from './fixtures/run.js'

const ROLL = /^HTTP\/1\.1 200 OK\r\n[\s\S]*connection: close\r\n[\s\S]*"result":\d+/i

function keepAliveGet(port: number, agent: Agent): Promise<number> {
  return new Promise((done, fail) => {
    request({ host: '127.0.0.1', port, path: '/healthz', agent }, (res) => {
      res.resume()
      res.on('end', () => done(res.statusCode ?? 0))
    }).on('error', fail).end()
  })
}

t.test('SIGTERM with requests in flight: every response completes, exit 0', async (t) => {
  const service = await startListener(['--stop-timeout=5', '--keep-alive-timeout=2'])
  // An idle keep-alive connection (one response served), requests half received, and fresh
  // connections whose requests have not been sent yet.
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  t.equal(await keepAliveGet(service.port, agent), 200)
  const idleClosed = new Promise<void>((done) => Object.values(agent.freeSockets).flat()[0]?.once('close', () => done()))
  const halfSent = await Promise.all([1, 2, 3].map(() => rawConnection(service.port)))
  for (const { socket } of halfSent) socket.write(REQUEST_HEAD)
  const notSent = await Promise.all([1, 2].map(() => rawConnection(service.port)))
  await sleep(300)

  const stoppedAt = Date.now()
  service.child.kill('SIGTERM')
  await sleep(150)
  for (const { socket } of halfSent) socket.write('\r\n')
  for (const { socket } of notSent) socket.write(`${REQUEST_HEAD}\r\n`)
  for (const { response } of [...halfSent, ...notSent]) t.match(await response, ROLL, 'served, with Connection: close')
  // Without an fd store it drains: open until the keep-alive timeout, which the agent honours.
  await idleClosed
  t.pass('the idle keep-alive connection closed at its keep-alive timeout, not cut')
  const { code, stderr } = await service.exited
  t.equal(code, 0, 'exit 0')
  t.ok(Date.now() - stoppedAt < 5000, 'stopped before the stop timeout')
  const lines = logLines(stderr)
  t.ok(lines.some((line) => line.msg === 'SIGTERM: stopping, draining 6 connections'), 'said what it drains')
  t.same(lines.filter((line) => Number(line.level) >= 40), [], 'no warning')
  t.equal(lines.filter((line) => line.msg === 'request').length, 6, 'six requests served')
  agent.destroy()
})

t.test('a connection still open at the stop timeout is cut: exit 12', async (t) => {
  const service = await startListener(['--stop-timeout=0.3'])
  const silent = await rawConnection(service.port)
  await sleep(200)
  service.child.kill('SIGTERM')
  const { code, stderr } = await service.exited
  t.equal(code, 12, 'EXIT.FORCED_STOP')
  t.ok(logLines(stderr).some((line) => line.level === 40 && line.msg === 'stop timeout: cutting 1 connections'), 'warned once')
  await silent.response.catch(() => '')
})

t.test('a second signal cuts at once', async (t) => {
  const service = await startListener(['--stop-timeout=10'])
  const silent = await rawConnection(service.port)
  await sleep(200)
  service.child.kill('SIGINT')
  await sleep(100)
  const secondAt = Date.now()
  service.child.kill('SIGTERM')
  const { code, stderr } = await service.exited
  t.equal(code, 12)
  t.ok(Date.now() - secondAt < 1000, 'did not wait for the stop timeout')
  t.ok(logLines(stderr).some((line) => line.msg === 'SIGINT: stopping, draining 1 connections'), 'SIGINT stops like SIGTERM')
  await silent.response.catch(() => '')
})

t.test('SIGINT with nothing open: exit 0 at once', async (t) => {
  const service = await startListener([])
  service.child.kill('SIGINT')
  const { code, stderr } = await service.exited
  t.equal(code, 0)
  t.ok(logLines(stderr).some((line) => line.msg === 'SIGINT: stopping, no open connection'))
})
