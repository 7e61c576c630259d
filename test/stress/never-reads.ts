// A client that pipelines far more requests than it reads: the answers fill the kernel buffers,
// the server's writes stall, and --request-timeout of inactivity later the listener must close
// the connection (before the fix it was held forever). Slow by nature: the send buffer grows to
// its 4 MB limit at about 1 MB/s on loopback.
import t from 'tap'
import { exchange, GET_ROLL, parseResponses, statusLine } from '../fixtures/stress/client.js'
import { serverConnections, sleep, startListener } from '../fixtures/stress/instances.js'
import { record } from '../fixtures/stress/results.js'

t.setTimeout(60_000)

const answered = (data: string): boolean => parseResponses(data).statuses.some((status) => status >= 200)

t.test('listener', async (t) => {
  const listener = await startListener({ args: ['--request-timeout=1'] })
  t.teardown(() => listener.stop())
  await t.test('a client that pipelines requests and never reads is cut off once the buffers are full', async (t) => {
    // 100,000 GETs (4 MB) ask for 15 MB of answers: more than the kernel buffers hold, so the
    // server's writes stall, and --request-timeout of inactivity later it must close.
    const started = Date.now()
    const abort = new AbortController()
    const seen = exchange(listener.port, { send: [GET_ROLL.repeat(100_000)], readAfterMs: 60_000, timeoutMs: 15_000, signal: abort.signal })
    await sleep(500)
    let closedAfter = -1
    while (Date.now() - started < 14_000) {
      if (serverConnections(listener.port) === 0) {
        closedAfter = Date.now() - started
        break
      }
      await sleep(100)
    }
    abort.abort()
    await seen
    const next = await exchange(listener.port, { send: [GET_ROLL], stopWhen: answered })
    t.ok(closedAfter > 0, `the server closed it (after ${closedAfter} ms)`)
    t.equal(statusLine(next.data), 'HTTP/1.1 200 OK', 'the next client is served')
    record({
      section: 'Slow clients', attack: 'never reads: 100,000 pipelined GETs (4 MB), --request-timeout=1', mode: 'listener', sent: '1 connection, no reads',
      client: closedAfter > 0 ? `closed by the server after ${closedAfter} ms (kernel buffers full + 1 s)` : 'still open after 14 s',
      service: 'kept serving', ok: closedAfter > 0 && statusLine(next.data) === 'HTTP/1.1 200 OK',
    })
  })
})
