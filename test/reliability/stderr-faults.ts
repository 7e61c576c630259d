// A full disk, a closed stderr or a log reader that went away must not take the service down:
// the log line is lost, the request is not.
import t from 'tap'
import { exchange, GET_ROLL, parseResponses, statusLine } from '../fixtures/stress/client.js'
import { oneShot, startListener, type Stderr } from '../fixtures/stress/instances.js'
import { record } from '../fixtures/stress/results.js'

t.setTimeout(60_000)

const answered = (data: string): boolean => parseResponses(data).statuses.some((status) => status >= 200)
const WHAT: Record<string, string> = { full: 'stderr is /dev/full (ENOSPC)', closed: 'stderr closed', broken: 'stderr a pipe with no reader (EPIPE)' }

for (const stderr of ['full', 'closed', 'broken'] as const satisfies readonly Stderr[]) {
  t.test(`per-connection, ${WHAT[stderr]}: answered, exit 0; at the deadline 408, exit 11`, async (t) => {
    const served = await oneShot('stdin', [], stderr)
    const seen = await exchange(served.port, { send: [GET_ROLL], timeoutMs: 8000 })
    const exited = await (await served.instance).exited
    t.equal(statusLine(seen.data), 'HTTP/1.1 200 OK', 'answered')
    t.equal(exited.code, 0, 'exit 0, not a crash on the log line')
    // The deadline logs a warning before it answers: that write must not kill the 408.
    const silent = await oneShot('stdin', ['--request-timeout=1'], stderr)
    const late = await exchange(silent.port, { send: [3000], timeoutMs: 8000 })
    const lateExit = await (await silent.instance).exited
    t.equal(statusLine(late.data), 'HTTP/1.1 408 Request Timeout', 'the silent client gets 408')
    t.equal(lateExit.code, 11, 'exit 11')
    record({
      section: 'Faults', attack: WHAT[stderr] as string, mode: 'per-connection', sent: '1 GET; 1 silent connection (--request-timeout=1)',
      client: `${statusLine(seen.data)}; ${statusLine(late.data) || '(nothing)'}`, service: `exit ${exited.code}; exit ${lateExit.code}`,
      ok: statusLine(seen.data) === 'HTTP/1.1 200 OK' && exited.code === 0 && lateExit.code === 11,
    })
  })
}

t.test('listener, stderr is /dev/full: 50 requests answered by the same process', async (t) => {
  const listener = await startListener({ shellPrefix: 'exec 2>/dev/full;', waitForLog: false, maxStarts: 3 })
  t.teardown(() => listener.stop())
  const statuses: string[] = []
  for (let i = 0; i < 50; i++) {
    const seen = await exchange(listener.port, { send: [GET_ROLL], stopWhen: answered, timeoutMs: 8000 })
    statuses.push(statusLine(seen.data))
  }
  const ok = statuses.filter((line) => line === 'HTTP/1.1 200 OK').length
  t.equal(ok, 50, 'all 50 answered 200')
  t.equal(listener.starts(), 1, 'never restarted')
  record({
    section: 'Faults', attack: WHAT.full as string, mode: 'listener', sent: '50 GETs, one after another',
    client: `${ok}/50 answered 200`, service: `${listener.starts()} start(s)`, ok: ok === 50 && listener.starts() === 1,
  })
})
