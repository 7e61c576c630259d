import t from 'tap'
import { markStart, startReport, withSlowStartStatus } from '../src/start-report.js'

t.test('plain modules unless a loader said otherwise, with its reason', async (t) => {
  t.same(startReport(), { start: 'modules' })
  markStart('bundle', 'code cache rejected')
  t.same(startReport(), { start: 'bundle', reason: 'code cache rejected' })
  markStart('snapshot')
  t.same(startReport(), { start: 'snapshot' })
})

t.test('a slow start is a warn line in the long-lived modes, a debug line per connection', async (t) => {
  const { pino } = await import('pino')
  const { buildApp } = await import('../src/app.js')
  const lines: Array<{ level: number; msg: string; start: string; reason?: string }> = []
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) })
  markStart('bundle', 'startup snapshot not used: built by another node')
  t.teardown(() => markStart('modules'))
  await buildApp({ logger }).close()
  await buildApp({ logger, closeEachConnection: true }).close()
  markStart('snapshot')
  await buildApp({ logger }).close()
  t.same(lines.map(({ level, msg, start, reason }) => ({ level, msg, start, reason })), [
    { level: 40, msg: 'slow start: startup snapshot not used: built by another node', start: 'bundle', reason: 'startup snapshot not used: built by another node' },
    { level: 20, msg: 'started', start: 'bundle', reason: 'startup snapshot not used: built by another node' },
    { level: 20, msg: 'started', start: 'snapshot', reason: undefined },
  ])
})

t.test('STATUS= says why the start was slow for as long as the process runs', async (t) => {
  const sent: string[] = []
  const stored: Array<[string, readonly number[]]> = []
  const notifier = {
    enabled: true,
    watchdogIntervalMs: 500,
    send: (state: string) => void sent.push(state),
    sendFds: (state: string, fds: readonly number[]) => {
      stored.push([state, fds])
      return undefined
    },
  }
  markStart('snapshot')
  t.equal(withSlowStartStatus(notifier), notifier, 'a fast start changes nothing')
  const slow = withSlowStartStatus(notifier, 'code cache rejected')
  t.same([slow.enabled, slow.watchdogIntervalMs], [true, 500])
  slow.send('READY=1\nSTATUS=serving 0 connections, 0 requests')
  slow.send('WATCHDOG=1')
  slow.send('STOPPING=1\nSTATUS=stopping (SIGTERM)')
  t.same(sent, [
    'READY=1\nSTATUS=serving 0 connections, 0 requests; slow start: code cache rejected',
    'WATCHDOG=1',
    'STOPPING=1\nSTATUS=stopping (SIGTERM); slow start: code cache rejected',
  ])
  t.equal(slow.sendFds('FDSTORE=1\nFDNAME=keep-alive.1.1', [7]), undefined, 'fds for the store still go to systemd')
  t.same(stored, [['FDSTORE=1\nFDNAME=keep-alive.1.1', [7]]])
})
