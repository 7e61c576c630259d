// A stop without an fd store, or with one too small or out of reach: idle keep-alive connections
// drain (open until their keep-alive timeout, requests answered with Connection: close), bounded
// by --stop-timeout. Under the same supervisor as test/fd-store.ts.
import { Agent } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { rawConnection, REQUEST_HEAD } from './fixtures/listener.js'
import { exitOf, fdStoreSupervisor, roll, warnings, type StoreEvent, type StoreSupervisor } from './fixtures/fd-store-supervisor.js'

t.setTimeout(120_000)

/** Its "stopping" line: the stop has begun, whatever it made of the connections. */
const stopBegan = (supervisor: StoreSupervisor, from: number): Promise<StoreEvent> =>
  supervisor.next((event) => event.event === 'log' && String((event.line as Record<string, unknown>).msg).startsWith('SIGTERM: stopping'), from)

/** Two keep-alive clients, each with one request served: two idle connections to stop with. */
async function twoIdleKeepAliveClients(t: Test, supervisor: StoreSupervisor): Promise<Agent[]> {
  const agents = [1, 2].map(() => new Agent({ keepAlive: true, maxSockets: 1 }))
  t.teardown(() => agents.forEach((agent) => agent.destroy()))
  await Promise.all(agents.map((agent) => roll(supervisor.port, agent)))
  return agents
}

t.test('a store smaller than the idle connections: the rest drain here', async (t) => {
  const supervisor = await fdStoreSupervisor({ env: { DICEROLL_FDSTORE: '1' }, max: 1, args: ['--keep-alive-timeout=2'] })
  t.teardown(() => supervisor.close())
  await supervisor.start()
  const agents = await twoIdleKeepAliveClients(t, supervisor)
  const from = supervisor.events.length
  supervisor.command({ cmd: 'signal', name: 'SIGTERM' })
  // Both requests after the stop began, so that each meets what the stop made of its connection.
  await supervisor.next((event) => event.message?.startsWith('STOPPING=1') === true, from)
  const answered = Promise.all(agents.map((agent) => roll(supervisor.port, agent)))
  t.equal((await exitOf(supervisor, from)).code, 0)
  t.ok(supervisor.logs().some((line) => line.msg === 'SIGTERM: stopping, handed 1 idle connections to systemd\'s fd store, draining 1 connections'))
  await supervisor.start()
  const answers = await answered
  t.same(answers.map((answer) => answer.status), [200, 200], 'both answered')
  t.same(answers.map((answer) => answer.connection).sort(), ['close', 'keep-alive'], 'one here with Connection: close, one by the next instance')
  await supervisor.stop()
})

t.test('no fd store (no NOTIFY_SOCKET): drain; a request after SIGTERM gets Connection: close, then exit 0', async (t) => {
  const supervisor = await fdStoreSupervisor({ notify: false, env: { DICEROLL_FDSTORE: '16' }, args: ['--keep-alive-timeout=2', '--stop-timeout=5'] })
  t.teardown(() => supervisor.close())
  await supervisor.start()
  const agents = [1, 2, 3].map(() => new Agent({ keepAlive: true, maxSockets: 1 }))
  t.teardown(() => agents.forEach((agent) => agent.destroy()))
  await Promise.all(agents.map((agent) => roll(supervisor.port, agent)))
  const idle = await rawConnection(supervisor.port)
  idle.socket.write(`${REQUEST_HEAD}\r\n`)
  await sleep(100)
  const from = supervisor.events.length
  supervisor.command({ cmd: 'signal', name: 'SIGTERM' })
  await stopBegan(supervisor, from)
  const answers = await Promise.all(agents.map((agent) => roll(supervisor.port, agent)))
  t.same(answers, [1, 2, 3].map(() => ({ status: 200, connection: 'close' })), 'every request on its way is served, with Connection: close')
  t.match(await idle.response, /^HTTP\/1\.1 200 OK\r\n[\s\S]*connection: keep-alive\r\n/i, 'an idle keep-alive connection is closed by its keep-alive timeout, not at the SIGTERM')
  t.equal((await exitOf(supervisor, from)).code, 0, 'exit 0 once drained')
  t.same(warnings(supervisor), [], 'no warning')
})

t.test('drain bounded by --stop-timeout: a request in flight is served with Connection: close, what is left is cut (exit 12)', async (t) => {
  const supervisor = await fdStoreSupervisor({ notify: false, args: ['--keep-alive-timeout=30', '--stop-timeout=3'] })
  t.teardown(() => supervisor.close())
  await supervisor.start()
  const idle = await rawConnection(supervisor.port)
  idle.socket.write(`${REQUEST_HEAD}\r\n`)
  const inFlight = await rawConnection(supervisor.port)
  inFlight.socket.write(REQUEST_HEAD)
  await sleep(200)
  const from = supervisor.events.length
  supervisor.command({ cmd: 'signal', name: 'SIGTERM' })
  await sleep(50)
  inFlight.socket.write('\r\n')
  t.match(await inFlight.response, /^HTTP\/1\.1 200 OK\r\n[\s\S]*connection: close\r\n/i, 'served, with Connection: close')
  t.equal((await exitOf(supervisor, from)).code, 12, 'the idle one, promised 30 s, is cut at the stop timeout')
  t.same(warnings(supervisor), ['stop timeout: cutting 1 connections'])
  await idle.response
})

t.test('a store that cannot be reached: one warning, and the connections drain', async (t) => {
  const supervisor = await fdStoreSupervisor({ notify: false, env: { NOTIFY_SOCKET: '/nonexistent/notify.sock', DICEROLL_FDSTORE: '16' }, args: ['--keep-alive-timeout=2'] })
  t.teardown(() => supervisor.close())
  await supervisor.start()
  const agents = await twoIdleKeepAliveClients(t, supervisor)
  const from = supervisor.events.length
  supervisor.command({ cmd: 'signal', name: 'SIGTERM' })
  await stopBegan(supervisor, from)
  t.same((await Promise.all(agents.map((agent) => roll(supervisor.port, agent)))).map((answer) => answer.connection), ['close', 'close'])
  t.equal((await exitOf(supervisor, from)).code, 0)
  t.same(warnings(supervisor), [
    'cannot notify systemd at NOTIFY_SOCKET=/nonexistent/notify.sock: ENOENT',
    'cannot hand a connection to systemd\'s fd store: ENOENT; draining the rest here instead',
  ])
})
