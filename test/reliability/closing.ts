// How connections end when the client sends more than the one request we answer: pipelined
// requests in per-connection mode, bytes after a request, a body we do not need. The answer must
// reach the client (a FIN after it, not an RST that destroys it), and nothing may hang.
import t from 'tap'
import { exchange, GET_ROLL, parseResponses, statusLine } from '../fixtures/stress/client.js'
import { oneShot, startListener } from '../fixtures/stress/instances.js'
import { record } from '../fixtures/stress/results.js'

t.setTimeout(60_000)

const HOST = 'Host: localhost\r\n'

async function perConnection(send: Array<string | number>, readAfterMs = 0) {
  const { port, instance } = await oneShot('stdin')
  const seen = await exchange(port, { send, readAfterMs, timeoutMs: 8000 })
  const exited = await (await instance).exited
  return { seen, exited, responses: parseResponses(seen.data) }
}

t.test('per-connection: pipelined requests get one answer, then the connection closes', async (t) => {
  const { seen, exited, responses } = await perConnection([GET_ROLL.repeat(3)])
  t.same(responses.statuses, [200], 'exactly one response')
  t.match(seen.data, /\r\nconnection: close\r\n/i, 'it says Connection: close')
  t.equal(responses.rest, '', 'nothing but HTTP on the wire')
  t.equal(seen.ending, 'end', 'then a FIN')
  t.equal(exited.code, 0, 'the instance exits 0')
  record({
    section: 'Pipelining and closing', attack: '3 pipelined GETs in one write', mode: 'per-connection', sent: '3 requests, 1 write',
    client: `statuses [${responses.statuses}], then FIN`, service: `exit ${exited.code} after ${exited.ms} ms`,
    ok: responses.statuses.length === 1 && seen.ending === 'end' && exited.code === 0,
  })
})

t.test('per-connection: a second request sent after the answer is not answered and does not reset the answer', async (t) => {
  // The client reads late: with an RST the kernel would have thrown the answer away.
  const { seen, exited, responses } = await perConnection([GET_ROLL, 300, GET_ROLL], 600)
  t.same(responses.statuses, [200], 'one response, read 600 ms later')
  t.equal(exited.code, 0, 'the instance exits 0')
  record({
    section: 'Pipelining and closing', attack: 'a second GET 300 ms after the first, client reads at 600 ms', mode: 'per-connection',
    sent: '2 requests, 300 ms apart', client: `statuses [${responses.statuses}], ${seen.ending}`, service: `exit ${exited.code}`,
    ok: responses.statuses.length === 1 && exited.code === 0,
  })
})

t.test('per-connection: a 5 MiB body on GET, which we do not read, does not cost the client its answer', async (t) => {
  const size = 5 * 1024 * 1024
  const { seen, exited, responses } = await perConnection([`GET /roll HTTP/1.1\r\n${HOST}Content-Length: ${size}\r\n\r\n`, 'a'.repeat(size)], 500)
  t.same(responses.statuses, [200], 'the answer arrives')
  t.equal(exited.code, 0, 'the instance exits 0')
  record({
    section: 'Pipelining and closing', attack: 'a 5 MiB body on GET, client reads after 500 ms', mode: 'per-connection',
    sent: '5 MiB as fast as loopback takes it', client: `statuses [${responses.statuses}], ${seen.ending} after ${seen.ms} ms`,
    service: `exit ${exited.code} after ${exited.ms} ms`, ok: responses.statuses[0] === 200 && exited.code === 0,
  })
})

const JUNK = 'junk'.repeat(100_000)

t.test('per-connection: a request followed by 400 KB of garbage still gets its answer', async (t) => {
  const { seen, exited, responses } = await perConnection([GET_ROLL + JUNK], 300)
  t.same(responses.statuses, [200], 'the answer to the complete request arrives')
  t.equal(exited.code, 0, 'the instance exits 0')
  record({
    section: 'Pipelining and closing', attack: 'a GET followed by 400 KB of garbage', mode: 'per-connection', sent: '1 write',
    client: `statuses [${responses.statuses}], ${seen.ending}`, service: `exit ${exited.code}`,
    ok: responses.statuses[0] === 200 && exited.code === 0,
  })
})

t.test('listener: a request followed by garbage gets its answer, the next client is served', async (t) => {
  const listener = await startListener()
  t.teardown(() => listener.stop())
  const seen = await exchange(listener.port, { send: [GET_ROLL + JUNK], readAfterMs: 300, timeoutMs: 8000 })
  const big = await exchange(listener.port, { send: [`GET /roll?${'a'.repeat(100 * 1024)} HTTP/1.1\r\n${HOST}\r\n`], readAfterMs: 300, timeoutMs: 8000 })
  const next = await exchange(listener.port, { send: [GET_ROLL], stopWhen: (d) => parseResponses(d).statuses.length > 0 })
  t.same(parseResponses(seen.data).statuses, [200], 'the complete request is answered, the garbage closes the connection')
  t.equal(seen.ending, 'end', 'with a FIN')
  t.equal(statusLine(big.data), 'HTTP/1.1 431 Request Header Fields Too Large', 'a 100 KiB URL gets 431')
  t.equal(big.ending, 'end', 'with a FIN, though the client was still sending')
  t.equal(statusLine(next.data), 'HTTP/1.1 200 OK', 'the next client is served')
  record({
    section: 'Pipelining and closing', attack: 'a GET followed by 400 KB of garbage; a 100 KiB URL', mode: 'listener', sent: '1 write each',
    client: `statuses [${parseResponses(seen.data).statuses}] then ${seen.ending}; ${statusLine(big.data)} then ${big.ending}`,
    service: 'kept serving', ok: seen.ending === 'end' && big.ending === 'end' && statusLine(next.data) === 'HTTP/1.1 200 OK',
  })
})

t.test('a request that says Connection: close, followed by garbage, still gets its answer and a FIN, in both modes', async (t) => {
  // Such a client broke its word (RFC 9112 9.6: nothing after a close), so the close lingers after
  // all: garbage still arriving after a plain close would meet a closed socket, and its reset would
  // destroy the answer the client has not read yet.
  const closing = `GET /roll HTTP/1.1\r\n${HOST}Connection: close\r\n\r\n`
  const send = [closing + JUNK, 200, JUNK]
  const listener = await startListener()
  t.teardown(() => listener.stop())
  const viaListener = await exchange(listener.port, { send, readAfterMs: 600, timeoutMs: 8000 })
  const { seen: viaInstance, exited } = await perConnection(send, 600)
  for (const [mode, seen] of [['listener', viaListener], ['per-connection', viaInstance]] as const) {
    t.same(parseResponses(seen.data).statuses, [200], `${mode}: the answer arrives, read 600 ms later`)
    t.equal(seen.ending, 'end', `${mode}: then a FIN, not a reset`)
  }
  t.equal(exited.code, 0, 'the instance exits 0')
  record({
    section: 'Pipelining and closing', attack: 'a GET with Connection: close followed by garbage, more of it 200 ms later; client reads at 600 ms', mode: 'both', sent: '2 writes',
    client: `listener: statuses [${parseResponses(viaListener.data).statuses}] then ${viaListener.ending}; per-connection: statuses [${parseResponses(viaInstance.data).statuses}] then ${viaInstance.ending}`,
    service: `instance exit ${exited.code}`, ok: viaListener.ending === 'end' && viaInstance.ending === 'end' && exited.code === 0,
  })
})

t.test('a body cut short by the client\'s FIN gets 400 at once, in both modes', async (t) => {
  const truncated = `POST /roll HTTP/1.1\r\n${HOST}Content-Type: application/json\r\nContent-Length: 13\r\n\r\n{"di`
  const listener = await startListener()
  t.teardown(() => listener.stop())
  const viaListener = await exchange(listener.port, { send: [truncated], endAfterSend: true, timeoutMs: 8000 })
  const { port, instance } = await oneShot('stdin')
  const viaInstance = await exchange(port, { send: [truncated], endAfterSend: true, timeoutMs: 8000 })
  const exited = await (await instance).exited
  for (const [mode, seen] of [['listener', viaListener], ['per-connection', viaInstance]] as const) {
    t.equal(statusLine(seen.data), 'HTTP/1.1 400 Bad Request', `${mode}: 400`)
    // Half the 10 s --request-timeout: a start of node under load must not read as a wait for it.
    t.ok(seen.ms < 5000, `${mode}: at once, not at --request-timeout (${seen.ms} ms)`)
  }
  t.equal(exited.code, 0, 'the instance exits 0')
  record({
    section: 'Pipelining and closing', attack: 'a POST body cut short by a half-close (FIN)', mode: 'both', sent: '1 request, 4 of 13 body bytes, then FIN',
    client: `listener: ${statusLine(viaListener.data)} after ${viaListener.ms} ms; per-connection: ${statusLine(viaInstance.data)} after ${viaInstance.ms} ms`,
    service: `instance exit ${exited.code}`, ok: viaListener.ms < 5000 && viaInstance.ms < 5000 && exited.code === 0,
  })
})

t.test('per-connection: SIGTERM while draining after the answer still exits 0', async (t) => {
  const { port, instance } = await oneShot('stdin', ['--stop-timeout=0.2'])
  let answered = false
  const watch = (data: string): boolean => {
    answered = parseResponses(data).statuses.length > 0
    return false
  }
  // The client keeps its side open after the answer, so the instance is draining (up to 2 s).
  const seen = exchange(port, { send: [GET_ROLL, 3000], stopWhen: watch, timeoutMs: 8000 })
  const served = await instance
  while (!answered) await new Promise((done) => setTimeout(done, 10))
  const killedAt = Date.now()
  served.child.kill('SIGTERM')
  const exited = await served.exited
  const stoppedMs = Date.now() - killedAt
  await seen
  t.equal(exited.code, 0, 'answered, so exit 0 and not 12 (FORCED_STOP)')
  t.ok(stoppedMs < 1500, `cut at the stop timeout, not after the whole 2 s drain (${stoppedMs} ms)`)
})
