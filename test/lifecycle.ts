// The Lifecycle in-process, on real sockets: a response in flight when the stop begins, and the
// idle clock that runs only while no connection is open.
import { request } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { buildApp } from '../src/app.js'
import { Lifecycle } from '../src/lifecycle.js'
import { createNotifier } from '../src/systemd/notify.js'
import { serveStandalone } from '../src/transports/standalone.js'
import { rawConnection } from './fixtures/listener.js'

async function serve(idleTimeoutMs: number, failClose = false, stopTimeoutMs = 2000) {
  const app = buildApp()
  if (failClose) {
    app.addHook('onClose', async () => {
      throw new Error('a plugin failed to close')
    })
  }
  app.get('/slow', async () => {
    await sleep(300)
    return { slow: true }
  })
  await app.ready()
  const notifier = createNotifier({}, process.pid, { warn: () => {} })
  const lifecycle = new Lifecycle(app, { notifier, idleTimeoutMs, keepAliveTimeoutMs: 5000, stopTimeoutMs })
  const acceptors = await serveStandalone(app, '127.0.0.1', 0)
  lifecycle.serving(acceptors)
  const address = acceptors[0]?.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  return { lifecycle, port }
}

t.test('a response in flight when the stop begins is finished, with Connection: close', async (t) => {
  const { lifecycle, port } = await serve(0)
  const response = new Promise<{ status: number; connection: string | undefined; body: string }>((done, fail) => {
    request({ host: '127.0.0.1', port, path: '/slow' }, (res) => {
      let body = ''
      res.on('data', (chunk: Buffer) => (body += chunk))
      res.on('end', () => done({ status: res.statusCode ?? 0, connection: res.headers.connection, body }))
    }).on('error', fail).end()
  })
  await sleep(100)
  lifecycle.stop('test')
  lifecycle.stop('again')
  t.equal(lifecycle.status(), 'stopping (test): 1 connection to finish, 1 requests served', 'a second stop changes nothing')
  t.same(await response, { status: 200, connection: 'close', body: '{"slow":true}' })
  t.equal(await lifecycle.done, 0)
})

t.test('the idle clock runs only while no connection is open', async (t) => {
  const { lifecycle, port } = await serve(200, true)
  let exited = false
  void lifecycle.done.then(() => (exited = true))
  const quiet = await rawConnection(port)
  await sleep(400)
  t.equal(exited, false, 'an open connection without a request keeps the process')
  t.equal(lifecycle.status(), 'serving 1 connection, 0 requests')
  quiet.socket.end('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
  t.match(await quiet.response, /^HTTP\/1\.1 200 OK/, 'and is served')
  t.equal(await lifecycle.done, 0, 'then it exits, even when closing the app fails (which it logs)')
})

t.test('at the stop timeout the connections left are cut: exit code 12', async (t) => {
  const { lifecycle, port } = await serve(0, false, 100)
  const silent = await rawConnection(port)
  await sleep(50)
  lifecycle.stop('test')
  t.equal(await lifecycle.done, 12)
  t.equal(await silent.response.catch((error: NodeJS.ErrnoException) => error.code), '', 'closed without a response')
  lifecycle.signal('SIGTERM')
  t.pass('a signal after the end changes nothing')
})

t.test('a stop that comes before the listeners are served closes them as they arrive', async (t) => {
  const app = buildApp()
  await app.ready()
  const lifecycle = new Lifecycle(app, { notifier: createNotifier({}, process.pid, { warn: () => {} }), idleTimeoutMs: 0, keepAliveTimeoutMs: 5000, stopTimeoutMs: 1000 })
  lifecycle.stop('SIGTERM')
  const acceptors = await serveStandalone(app, '127.0.0.1', 0)
  lifecycle.serving(acceptors)
  t.equal(acceptors[0]?.listening, false, 'not accepting')
  t.equal(await lifecycle.done, 0)
})
