// The built program under systemd's own systemd-socket-activate, Accept=no.
import { mkdtempSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { freePort, get, logLines, requestLines, socketActivate } from './fixtures/run.js'

t.test('listener serves IPv4, IPv6 and a unix socket at once, with fd names', async (t) => {
  const port = await freePort()
  const port6 = await freePort('::1')
  const path = join(mkdtempSync(join(tmpdir(), 'diceroll-')), 'diceroll.sock')
  const activated = await socketActivate(['--fdname=web:web6:local'], [`127.0.0.1:${port}`, `[::1]:${port6}`, path], ['--mode=listener'])
  t.teardown(activated.stop)

  const v4 = await get({ port }, '/roll', { connection: 'keep-alive' })
  t.equal(v4.status, 200)
  t.match(v4.body, /^\{"result":[1-6]\}$/)
  t.equal(v4.headers.connection, 'keep-alive', 'a long-lived listener keeps connections')
  const v6 = await get({ host: '::1', port: port6 }, '/roll?dice=2d6')
  t.equal(v6.status, 200)
  t.match(JSON.parse(v6.body), { dice: '2d6', rolls: [Number, Number] })
  const local = await get({ socketPath: path }, '/healthz')
  t.same([local.status, local.body], [200, '{"status":"ok"}'])

  const requests = await requestLines(activated.stderr, 3)
  const serving = logLines(activated.stderr()).filter((line) => String(line.msg).startsWith('serving inherited listener'))
  t.same(serving.map((line) => [line.fd, line.fdName]), [[3, 'web'], [4, 'web6'], [5, 'local']])
  t.same(requests.map((line) => [line.mode, line.url, line.statusCode, line.remoteAddress]), [
    ['listener', '/roll', 200, '127.0.0.1'],
    ['listener', '/roll?dice=2d6', 200, '::1'],
    ['listener', '/healthz', 200, 'unix'],
  ])
  t.equal(new Set(requests.map((line) => line.pid)).size, 1, 'one process served every listener')

  await activated.stop()
  t.ok(statSync(path).isSocket(), 'the passed unix socket path is never unlinked')
})

t.test('auto mode picks listener for passed listening sockets', async (t) => {
  const port = await freePort()
  const activated = await socketActivate([], [`127.0.0.1:${port}`], [])
  t.teardown(activated.stop)
  const res = await get({ port }, '/roll')
  t.equal(res.status, 200)
  t.match(await requestLines(activated.stderr, 1), [{ mode: 'listener' }])
})
