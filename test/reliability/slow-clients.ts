// Slow and rude clients: trickled requests (slowloris), clients that never read, half-close, or
// reset. Each is bounded by a timeout we can name, and the service goes on serving.
import t from 'tap'
import { exchange, GET_ROLL, parseResponses, statusLine } from '../fixtures/stress/client.js'
import { oneShot, startListener } from '../fixtures/stress/instances.js'
import { record } from '../fixtures/stress/results.js'
import { logLines, waitFor } from '../fixtures/run.js'

t.setTimeout(90_000)

const TIMEOUT = '--request-timeout=1'
const REQUEST_TIMEOUT_408 = 'HTTP/1.1 408 Request Timeout'
const answered = (data: string): boolean => parseResponses(data).statuses.some((status) => status >= 200)
/** One byte every 200 ms: the whole request would take about 8 s. */
const trickle = (text: string): Array<string | number> => [...text].flatMap((byte) => [byte, 200])

t.test('listener', async (t) => {
  const listener = await startListener({ args: [TIMEOUT] })
  t.teardown(() => listener.stop())
  const pid = await listener.pid()

  await t.test('slowloris: a request trickled a byte at a time gets 408 once --request-timeout passes', async (t) => {
    const before = listener.stderr().length
    const slow = exchange(listener.port, { send: trickle(GET_ROLL), timeoutMs: 6000 })
    const meanwhile = await exchange(listener.port, { send: [GET_ROLL], stopWhen: answered })
    const seen = await slow
    t.equal(statusLine(meanwhile.data), 'HTTP/1.1 200 OK', 'another client is served meanwhile')
    t.equal(statusLine(seen.data), REQUEST_TIMEOUT_408, 'the slow client gets 408')
    t.ok(seen.ms < 2500, `within the timeout plus the check interval (${seen.ms} ms)`)
    // Waited for here, so that a line the logger flushes late is not counted by the next test.
    const warned = await waitFor(() => {
      const lines = logLines(listener.stderr().slice(before)).filter((line) => Number(line.level) >= 40)
      return lines.length > 0 ? lines : undefined
    }, 'the warn line')
    t.match(warned, [{ level: 40, statusCode: 408, code: 'ERR_HTTP_REQUEST_TIMEOUT' }], 'one warn line')
    record({
      section: 'Slow clients', attack: 'slowloris, 1 byte / 200 ms, --request-timeout=1', mode: 'listener', sent: '1 request, trickled',
      client: `${statusLine(seen.data)} after ${seen.ms} ms; another client served meanwhile`, service: 'kept serving',
      ok: statusLine(seen.data) === REQUEST_TIMEOUT_408 && seen.ms < 2500,
    })
  })

  await t.test('a client that sends nothing, or half a request, gets 408 and one warn line', async (t) => {
    for (const [attack, send] of [['connects and sends nothing', []], ['sends half a request, then nothing', ['GET /roll HTTP/1.1\r\nHo']]] as const) {
      const before = listener.stderr().length
      const seen = await exchange(listener.port, { send: [...send], timeoutMs: 6000 })
      t.equal(statusLine(seen.data), REQUEST_TIMEOUT_408, `${attack}: 408, not a silent close`)
      t.equal(seen.ending, 'end', `${attack}: then a clean close`)
      t.ok(seen.ms < 2500, `${attack}: within the timeout plus the check interval (${seen.ms} ms)`)
      const warned = await waitFor(() => {
        const lines = logLines(listener.stderr().slice(before)).filter((line) => Number(line.level) >= 40)
        return lines.length > 0 ? lines : undefined
      }, 'the warn line')
      t.match(warned, [{ level: 40, statusCode: 408, code: 'ERR_HTTP_REQUEST_TIMEOUT', remoteAddress: '127.0.0.1', msg: 'the request did not arrive in full within --request-timeout: answered 408, closing the connection' }], `${attack}: one warn line`)
      t.equal(warned.length, 1, `${attack}: exactly one`)
      record({
        section: 'Slow clients', attack: `${attack}, --request-timeout=1`, mode: 'listener', sent: '1 connection',
        client: `${statusLine(seen.data) || '(nothing)'} after ${seen.ms} ms`, service: 'one warn line; kept serving',
        ok: statusLine(seen.data) === REQUEST_TIMEOUT_408 && seen.ms < 2500 && warned.length === 1,
      })
    }
    t.equal(await listener.pid(), pid, 'the same process')
  })

  await t.test('half-closed client still gets its answer; resets mid-request and mid-response change nothing', async (t) => {
    const half = await exchange(listener.port, { send: [GET_ROLL], endAfterSend: true })
    t.equal(statusLine(half.data), 'HTTP/1.1 200 OK', 'request then FIN: answered')
    const resets = await Promise.all(Array.from({ length: 20 }, (_, i) =>
      exchange(listener.port, { send: i % 2 ? ['GET /roll HTTP/1.1\r\nHo'] : [GET_ROLL], resetAfterMs: i % 5 })))
    const next = await exchange(listener.port, { send: [GET_ROLL], stopWhen: answered })
    t.equal(statusLine(next.data), 'HTTP/1.1 200 OK', 'served after 20 resets')
    t.equal(await listener.pid(), pid, 'the same process')
    record({
      section: 'Slow clients', attack: 'half-close after the request; 20 resets mid-request and mid-response', mode: 'listener',
      sent: '1 + 20 connections, resets 0-4 ms after connect', client: `half-closed: ${statusLine(half.data)}; resets: ${resets.length} closed`,
      service: 'same process, kept serving', ok: statusLine(next.data) === 'HTTP/1.1 200 OK',
    })
  })
})

async function perConnection(send: Array<string | number>, options: { readAfterMs?: number; endAfterSend?: boolean; resetAfterMs?: number } = {}) {
  const { port, instance } = await oneShot('stdin', [TIMEOUT])
  const seen = await exchange(port, { send, ...options, timeoutMs: 6000 })
  const exited = await (await instance).exited
  return { seen, exited }
}

t.test('per-connection', async (t) => {
  await t.test('slowloris and a silent client: 408 at the deadline, exit 11, within about a second', async (t) => {
    for (const [attack, send] of [['slowloris, 1 byte / 200 ms', trickle(GET_ROLL)], ['connects and sends nothing', [4000]]] as const) {
      const { seen, exited } = await perConnection([...send])
      t.equal(statusLine(seen.data), REQUEST_TIMEOUT_408, `${attack}: 408`)
      t.equal(exited.code, 11, `${attack}: exit 11 (REQUEST_TIMEOUT)`)
      t.ok(exited.ms < 3000, `${attack}: the instance lived ${exited.ms} ms`)
      // node:http's own request timeout fires a moment later on the same connection: no second line.
      t.match(logLines(exited.stderr).filter((line) => Number(line.level) >= 40), [{ level: 40, deadlineMs: 1000, msg: 'request deadline passed, closing the connection' }], `${attack}: one warn line`)
      t.equal(logLines(exited.stderr).filter((line) => Number(line.level) >= 40).length, 1, `${attack}: exactly one`)
      record({
        section: 'Slow clients', attack: `${attack}, --request-timeout=1`, mode: 'per-connection', sent: '1 connection',
        client: `${statusLine(seen.data) || '(nothing)'} after ${seen.ms} ms`, service: `exit ${exited.code} after ${exited.ms} ms (incl. startup)`,
        ok: statusLine(seen.data) === REQUEST_TIMEOUT_408 && exited.code === 11 && exited.ms < 3000,
      })
    }
  })

  await t.test('a client that never reads: the instance still exits 0, bounded by the linger', async (t) => {
    const { seen, exited } = await perConnection([GET_ROLL.repeat(20_000)], { readAfterMs: 3000 })
    t.equal(exited.code, 0, 'exit 0: it was answered')
    t.ok(exited.ms < 4000, `the instance lived ${exited.ms} ms`)
    record({
      section: 'Slow clients', attack: 'never reads: 20,000 pipelined GETs', mode: 'per-connection', sent: '1 write, no reads',
      client: `connection ${seen.ending} after ${seen.ms} ms`, service: `exit ${exited.code} after ${exited.ms} ms`,
      ok: exited.code === 0 && exited.ms < 4000,
    })
  })

  await t.test('half-close, and resets mid-request and right after the request', async (t) => {
    const half = await perConnection([GET_ROLL], { endAfterSend: true })
    t.equal(statusLine(half.seen.data), 'HTTP/1.1 200 OK', 'request then FIN: answered')
    t.equal(half.exited.code, 0, 'half-closed: exit 0')
    const midRequest = await perConnection(['GET /roll HTTP/1.1\r\nHo'], { resetAfterMs: 50 })
    t.equal(midRequest.exited.code, 0, 'reset mid-request: exit 0 at once')
    t.ok(midRequest.exited.ms < 3000, `reset mid-request: lived ${midRequest.exited.ms} ms`)
    const midResponse = await perConnection([GET_ROLL], { resetAfterMs: 1 })
    t.equal(midResponse.exited.code, 0, 'reset before the answer: exit 0')
    record({
      section: 'Slow clients', attack: 'half-close; reset mid-request; reset before the answer', mode: 'per-connection', sent: '3 connections',
      client: `half-closed: ${statusLine(half.seen.data)}`,
      service: `exits ${half.exited.code}, ${midRequest.exited.code}, ${midResponse.exited.code}`,
      ok: half.exited.code === 0 && midRequest.exited.code === 0 && midResponse.exited.code === 0,
    })
  })
})
