// Process faults under load. Listener: SIGKILL with requests in flight (those clients see their
// connection closed; the socket, held like systemd holds it, queues new connections until the
// next start serves them), and SIGTERM (graceful: nothing lost). Per-connection: an instance
// killed mid-request, and one stopped with SIGTERM while its request is arriving.
import t from 'tap'
import { exchange, GET_ROLL, parseResponses, statusLine } from '../fixtures/stress/client.js'
import { isAlive, oneShot, sleep, startListener, waitReady } from '../fixtures/stress/instances.js'
import { load, tally } from '../fixtures/stress/load.js'
import { record } from '../fixtures/stress/results.js'

t.setTimeout(120_000)

const CONCURRENCY = 8
const LOAD_MS = 3000

for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
  t.test(`listener: ${signal} during load`, async (t) => {
    const listener = await startListener()
    t.teardown(() => listener.stop())
    const pid = await listener.pid()
    const running = load(listener.port, CONCURRENCY, LOAD_MS)
    // Requests certainly in flight at the signal: trickled, so they are still arriving.
    const trickled = [1, 2, 3].map(() => exchange(listener.port, { send: ['GET /roll HTTP/1.1\r\n', 2000, 'Host: x\r\n\r\n'], timeoutMs: 10_000 }))
    await sleep(1000)
    const signalledAt = Date.now()
    process.kill(pid, signal)
    await waitReady(listener, 10_000, 2)
    const restartMs = Date.now() - signalledAt
    const attempts = await running
    const inFlight = await Promise.all(trickled)
    const counts = tally(attempts)
    const inFlightSaw = inFlight.map((seen) => statusLine(seen.data) || `closed (${seen.ending})`)
    const next = await exchange(listener.port, { send: [GET_ROLL], stopWhen: (data) => parseResponses(data).statuses.length > 0 })
    t.equal(counts.partial, 0, 'no client saw a partial response')
    t.equal(counts['other-status'], 0, 'no error statuses')
    t.equal(listener.starts(), 2, 'a new start took over the same socket')
    t.not(await listener.pid(), pid, 'a new process')
    t.equal(statusLine(next.data), 'HTTP/1.1 200 OK', 'the next connection is served by the new start')
    if (signal === 'SIGKILL') {
      t.ok(counts.failed <= CONCURRENCY, `at most one lost request per client connection open at the kill (${counts.failed})`)
    } else {
      t.equal(counts.failed, 0, 'SIGTERM: no request lost')
      t.same(inFlightSaw, ['HTTP/1.1 200 OK', 'HTTP/1.1 200 OK', 'HTTP/1.1 200 OK'], 'SIGTERM: requests in flight are finished')
    }
    record({
      section: 'Faults', attack: `${signal} of the listener under load`, mode: 'listener',
      sent: `${CONCURRENCY} clients in a closed loop for ${LOAD_MS / 1000} s (${attempts.length} requests) + 3 trickled requests; ${signal} at 1 s`,
      client: `${counts.ok} × 200, ${counts.failed} closed with nothing, ${counts.partial} partial; trickled: ${inFlightSaw.join(', ')}`,
      service: `new start serving ${restartMs} ms after the signal; connections queued meanwhile were served`,
      ok: counts.partial === 0 && listener.starts() === 2 && (signal === 'SIGKILL' ? counts.failed <= CONCURRENCY : counts.failed === 0),
    })
  })
}

t.test('per-connection: SIGKILL mid-request; the next connection gets a fresh instance', async (t) => {
  const first = await oneShot('stdin')
  const seen = exchange(first.port, { send: ['GET /roll HTTP/1.1\r\n', 5000, 'Host: x\r\n\r\n'], timeoutMs: 10_000 })
  const instance = await first.instance
  await sleep(1500)
  instance.child.kill('SIGKILL')
  const exited = await instance.exited
  const client = await seen
  const second = await oneShot('stdin')
  const next = await exchange(second.port, { send: [GET_ROLL] })
  const nextExit = await (await second.instance).exited
  t.equal(exited.signal, 'SIGKILL')
  t.equal(client.data, '', 'the client saw its connection closed, no bytes')
  t.not(client.ending, 'timeout', `and at once (${client.ending})`)
  t.equal(statusLine(next.data), 'HTTP/1.1 200 OK', 'the next connection is served')
  t.equal(nextExit.code, 0)
  t.notOk(isAlive(instance.child.pid as number), 'nothing left behind')
  record({
    section: 'Faults', attack: 'SIGKILL of an instance mid-request', mode: 'per-connection', sent: '1 request, half sent',
    client: `closed with nothing (${client.ending}); next connection: ${statusLine(next.data)}`,
    service: `killed instance gone; next instance exit ${nextExit.code}`, ok: client.data === '' && nextExit.code === 0,
  })
})

t.test('per-connection: SIGTERM while the request arrives; it is still answered', async (t) => {
  const served = await oneShot('stdin')
  const seen = exchange(served.port, { send: ['GET /roll HTTP/1.1\r\n', 1500, 'Host: x\r\n\r\n'], timeoutMs: 10_000 })
  const instance = await served.instance
  await sleep(1000)
  instance.child.kill('SIGTERM')
  const exited = await instance.exited
  const client = await seen
  t.equal(statusLine(client.data), 'HTTP/1.1 200 OK', 'answered')
  t.equal(exited.code, 0, 'exit 0')
  record({
    section: 'Faults', attack: 'SIGTERM of an instance while its request arrives', mode: 'per-connection', sent: '1 request, in two parts 1.5 s apart',
    client: statusLine(client.data) || `closed (${client.ending})`, service: `exit ${exited.code ?? exited.signal}`,
    ok: statusLine(client.data) === 'HTTP/1.1 200 OK' && exited.code === 0,
  })
})
