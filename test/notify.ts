// sd_notify against a real AF_UNIX datagram receiver: READY, STATUS, STOPPING and WATCHDOG, at a
// path and at an abstract name, and the clear single line when systemd cannot be told.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { startListener } from './fixtures/listener.js'
import { notifyReceiver, type Datagram } from './fixtures/notify-receiver.js'
import { get, logLines } from './fixtures/run.js'

const socketPath = (): string => join(mkdtempSync(join(tmpdir(), 'diceroll-notify-')), 'notify.sock')
const watchdogs = (datagrams: Datagram[]): Datagram[] => datagrams.filter((d) => d.message === 'WATCHDOG=1')

t.test('path socket: READY with STATUS, a WATCHDOG right after it and every half interval, STATUS, STOPPING', async (t) => {
  const address = socketPath()
  const receiver = await notifyReceiver(address)
  t.teardown(() => receiver.close())
  // WATCHDOG_USEC=400 ms: a ping every 200 ms, and never a gap as long as 400 ms.
  const service = await startListener([], { NOTIFY_SOCKET: address, WATCHDOG_USEC: '400000' })
  const ready = await receiver.waitFor('READY=1')
  t.match(ready.message, /^READY=1\nSTATUS=serving \d+ connections?, 0 requests$/)
  t.equal((await get({ port: service.port }, '/healthz')).status, 200)
  t.equal((await get({ port: service.port }, '/healthz')).status, 200)
  t.match((await receiver.waitFor('2 requests', 3000)).message, /^STATUS=serving 0 connections, 2 requests$/, 'STATUS follows the counts')
  await sleep(300)
  service.child.kill('SIGTERM')
  t.equal((await service.exited).code, 0)
  const stopping = await receiver.waitFor('STOPPING=1')
  t.match(stopping.message, /^STOPPING=1\nSTATUS=stopping \(SIGTERM\): 0 connections to finish, 2 requests served$/)

  const pings = watchdogs(receiver.datagrams)
  t.ok(pings.length >= 5, `pinged ${pings.length} times`)
  t.ok((pings[0]?.t ?? Infinity) - ready.t < 100, 'the first WATCHDOG=1 comes right after READY=1')
  const gaps = pings.slice(1).map((ping, i) => ping.t - (pings[i]?.t ?? 0))
  t.ok(gaps.every((gap) => gap >= 150 && gap < 400), `gaps of about half WATCHDOG_USEC: ${gaps.map(Math.round).join(', ')} ms`)
  t.same(logLines(service.stderr()).filter((line) => Number(line.level) >= 40), [], 'no warning')
})

t.test('abstract socket: READY, then STOPPING before the idle exit', async (t) => {
  const address = `@diceroll-test-${process.pid}-${Date.now()}`
  const receiver = await notifyReceiver(address)
  t.teardown(() => receiver.close())
  const service = await startListener(['--idle-timeout=0.3'], { NOTIFY_SOCKET: address })
  t.match((await receiver.waitFor('READY=1')).message, /^READY=1\nSTATUS=serving 0 connections, 0 requests; idle, exiting in 1 s unless a connection arrives$/)
  t.equal((await service.exited).code, 0, 'idle exit')
  t.match((await receiver.waitFor('STOPPING=1')).message, /^STOPPING=1\nSTATUS=stopping \(idle\)/)
  t.same(watchdogs(receiver.datagrams), [], 'no WATCHDOG without WATCHDOG_USEC')
})

t.test('no WATCHDOG when WATCHDOG_PID names another process', async (t) => {
  const address = socketPath()
  const receiver = await notifyReceiver(address)
  t.teardown(() => receiver.close())
  const service = await startListener([], { NOTIFY_SOCKET: address, WATCHDOG_USEC: '100000', WATCHDOG_PID: '1' })
  await receiver.waitFor('READY=1')
  await sleep(400)
  service.child.kill('SIGTERM')
  await service.exited
  await receiver.waitFor('STOPPING=1')
  t.same(watchdogs(receiver.datagrams), [])
})

t.test('without the addon: one clear line, and the service still serves', async (t) => {
  const service = await startListener([], { NOTIFY_SOCKET: socketPath(), WATCHDOG_USEC: '100000', DICEROLL_NOTIFY_ADDON: '/nonexistent/sd_notify.node' })
  t.equal((await get({ port: service.port }, '/healthz')).status, 200)
  service.child.kill('SIGTERM')
  const { code, stderr } = await service.exited
  t.equal(code, 0)
  const warnings = logLines(stderr).filter((line) => Number(line.level) >= 40)
  t.equal(warnings.length, 1, 'said once')
  t.match(warnings[0]?.msg, /^cannot notify systemd: the native addon \/nonexistent\/sd_notify\.node is not built \(was npm ci run with --ignore-scripts\? run "npm rebuild diceroll"/)
})

t.test('a NOTIFY_SOCKET nobody listens on: one warning, not one per ping', async (t) => {
  const address = socketPath()
  const service = await startListener([], { NOTIFY_SOCKET: address, WATCHDOG_USEC: '100000' })
  await sleep(300)
  service.child.kill('SIGTERM')
  const { code, stderr } = await service.exited
  t.equal(code, 0)
  const warnings = logLines(stderr).filter((line) => Number(line.level) >= 40)
  t.equal(warnings.length, 1)
  t.equal(warnings[0]?.msg, `cannot notify systemd at NOTIFY_SOCKET=${address}: ENOENT`)
})
