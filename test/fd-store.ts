// Restart without loss, under a supervisor that plays systemd's part (a NOTIFY_SOCKET that
// receives fds, a store kept by FDNAME): idle keep-alive connections go to the store on SIGTERM
// and the next instance serves them; bad stored fds are skipped; without a store, a stop drains.
import { Agent } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { rawConnection, REQUEST_HEAD } from './fixtures/listener.js'
import { exitOf, fdStoreSupervisor, messages, roll, warnings } from './fixtures/fd-store-supervisor.js'

// Each case starts the service two or three times.
t.setTimeout(120_000)

t.test('keep-alive clients across restarts, with requests sent right after SIGTERM: none lost, each connection kept', async (t) => {
  const supervisor = await fdStoreSupervisor({ env: { DICEROLL_FDSTORE: '16' } })
  t.teardown(() => supervisor.close())
  let service = await supervisor.start()
  const agents = [1, 2, 3].map(() => new Agent({ keepAlive: true, maxSockets: 1 }))
  t.teardown(() => agents.forEach((agent) => agent.destroy()))
  const first = await Promise.all(agents.map((agent) => roll(supervisor.port, agent)))
  t.same(first.map((answer) => answer.status), [200, 200, 200])
  const sockets = agents.map((agent) => Object.values(agent.freeSockets).flat()[0])
  const failures: string[] = []
  for (let restart = 1; restart <= 3; restart++) {
    const from = supervisor.events.length
    // The race that lost a request per client and restart: the next one leaves as the signal
    // lands, so the service sees both in one turn of its loop (closing idle connections then
    // reset each of them, every time).
    process.kill(service.pid as number, 'SIGTERM')
    const onTheirWay = Promise.all(agents.map((agent) => roll(supervisor.port, agent).catch((error: Error) => void failures.push(error.message))))
    t.equal((await exitOf(supervisor, from)).code, 0, `restart ${restart}: the old instance exits 0`)
    const stored = messages(supervisor, from).filter((message) => message.startsWith('FDSTORE=1'))
    t.equal(stored.length, 3, `restart ${restart}: three connections stored`)
    t.ok(stored.every((message) => /^FDSTORE=1\nFDNAME=keep-alive\.\d+\.\d+$/.test(message)), 'each by its own name')
    t.ok(supervisor.events.slice(from).filter((event) => event.message?.startsWith('FDSTORE=1')).every((event) => event.fds === 1), 'each with its fd attached')
    const started = (service = await supervisor.start())
    t.same(started.names?.slice(1).sort(), stored.map((message) => message.split('FDNAME=')[1]).sort(), 'the next start gets them in LISTEN_FDNAMES')
    const answers = await onTheirWay
    t.same(answers.map((answer) => answer?.status), [200, 200, 200], `restart ${restart}: every request sent after SIGTERM answered`)
    t.same(answers.map((answer) => answer?.connection), ['keep-alive', 'keep-alive', 'keep-alive'], 'by the next instance, keeping the connection')
    for (const name of started.names?.slice(1) ?? []) await supervisor.next((event) => event.message === `FDSTOREREMOVE=1\nFDNAME=${name}`, from)
    t.pass(`restart ${restart}: each taken connection removed from the store`)
  }
  t.same(failures, [], 'no request failed')
  t.same(agents.map((agent) => Object.values(agent.freeSockets).flat()[0]), sockets, 'the clients never reconnected')
  t.ok(supervisor.logs().some((line) => line.msg === 'took 3 connections from systemd\'s fd store'), 'said what it took')
  t.ok(supervisor.logs().some((line) => line.msg === 'SIGTERM: stopping, handed 3 idle connections to systemd\'s fd store'), 'said what it handed over')
  t.same(warnings(supervisor), [], 'no warning')
  await supervisor.stop()
})

t.test('what is served here, never stored: a request begun, and one in flight (Connection: close)', async (t) => {
  const supervisor = await fdStoreSupervisor({ env: { DICEROLL_FDSTORE: '16' } })
  t.teardown(() => supervisor.close())
  await supervisor.start()
  const halfSent = await rawConnection(supervisor.port)
  halfSent.socket.write(REQUEST_HEAD)
  const notYet = await rawConnection(supervisor.port)
  await sleep(200)
  const from = supervisor.events.length
  supervisor.command({ cmd: 'signal', name: 'SIGTERM' })
  await supervisor.next((event) => event.message?.startsWith('STOPPING=1') === true, from)
  halfSent.socket.write('\r\n')
  t.match(await halfSent.response, /^HTTP\/1\.1 200 OK\r\n[\s\S]*connection: close\r\n/i, 'the begun request is served here, with Connection: close')
  t.equal((await exitOf(supervisor, from)).code, 0)
  t.same(messages(supervisor, from).filter((message) => message.startsWith('FDSTORE=1')).length, 1, 'only the connection that sent nothing was stored')
  await supervisor.start()
  notYet.socket.write(`${REQUEST_HEAD}Connection: close\r\n\r\n`)
  t.match(await notYet.response, /^HTTP\/1\.1 200 OK\r\n/, 'the next instance serves the connection that had sent nothing')
  await supervisor.stop()
  t.same(warnings(supervisor), [], 'no warning')
})

t.test('bad stored fds: one warning each, closed, removed from the store; the start serves the rest', async (t) => {
  const supervisor = await fdStoreSupervisor({ env: { DICEROLL_FDSTORE: '16' } })
  t.teardown(() => supervisor.close())
  const bad = [['keep-alive.1.1', 'udp'], ['keep-alive.1.2', 'listening'], ['keep-alive.1.3', 'pipe'], ['stored', 'connected'], ['keep-alive-old', 'connected']]
  for (const [name, kind] of bad) supervisor.command({ cmd: 'inject', name: name as string, kind: kind as string })
  await supervisor.next((event) => event.event === 'injected' && event.name === 'keep-alive-old')
  await supervisor.start()
  await supervisor.next((event) => event.message?.startsWith('READY=1') === true)
  const agent = new Agent({ keepAlive: false })
  t.equal((await roll(supervisor.port, agent)).status, 200, 'serves')
  t.same(warnings(supervisor), [
    'skipping stored fd 4 (name "keep-alive.1.1"): it is not a stream socket (datagram?); closed it',
    'skipping stored fd 5 (name "keep-alive.1.2"): it is a listening socket, not a connection; closed it',
    'skipping stored fd 6 (name "keep-alive.1.3"): it is not a socket; closed it',
    'skipping stored fd 7 (name "stored"): its name is not one diceroll stores (keep-alive.<pid>.<n>); closed it',
    'skipping stored fd 8 (name "keep-alive-old"): its name is not one diceroll stores (keep-alive.<pid>.<n>); closed it',
  ])
  t.same(messages(supervisor).filter((message) => message.startsWith('FDSTOREREMOVE=1')), bad.map(([name]) => `FDSTOREREMOVE=1\nFDNAME=${name}`))
  supervisor.command({ cmd: 'stored' })
  t.same((await supervisor.next((event) => event.event === 'stored')).names, [], 'the store is empty')
  t.equal((await supervisor.stop()).code, 0)
})

t.test('without the addon, /proc/net says what a stored fd is', async (t) => {
  const supervisor = await fdStoreSupervisor({ env: { DICEROLL_NOTIFY_ADDON: '/nonexistent/sd_notify.node' } })
  t.teardown(() => supervisor.close())
  for (const [name, kind] of [['keep-alive.1.1', 'udp'], ['keep-alive.1.2', 'listening'], ['keep-alive.1.3', 'pipe']]) {
    supervisor.command({ cmd: 'inject', name: name as string, kind: kind as string })
  }
  await supervisor.next((event) => event.event === 'injected' && event.name === 'keep-alive.1.3')
  await supervisor.start()
  t.equal((await roll(supervisor.port, new Agent())).status, 200, 'serves')
  t.same(warnings(supervisor).slice(1), [
    'skipping stored fd 4 (name "keep-alive.1.1"): it is not a stream socket (datagram?); closed it',
    'skipping stored fd 5 (name "keep-alive.1.2"): it is a listening socket, not a connection; closed it',
    'skipping stored fd 6 (name "keep-alive.1.3"): it is not a socket; closed it',
  ], 'after the one line that says systemd cannot be notified')
  await supervisor.stop()
})
