// Malformed and hostile requests against both modes: each gets its exact status line (never a
// crash or a hang), the connection ends cleanly, and the service still answers the next client.
import t from 'tap'
import { exchange, parseResponses, statusLine } from '../fixtures/stress/client.js'
import { MALFORMED, type MalformedCase } from '../fixtures/stress/malformed-cases.js'
import { oneShot, startListener } from '../fixtures/stress/instances.js'
import { pool } from '../fixtures/stress/pool.js'
import { record } from '../fixtures/stress/results.js'
import { logLines, waitFor } from '../fixtures/run.js'

t.setTimeout(120_000)

const answered = (data: string): boolean => {
  const { statuses, rest } = parseResponses(data)
  return rest === '' && statuses.some((status) => status >= 200)
}

function statusMatches(line: string, expected: MalformedCase['status']): boolean {
  return typeof expected === 'string' ? line === expected : expected.test(line)
}

/** The case's warn lines are exactly the one it promises (or none), at level 40. */
function warnsAsPromised(stderr: string, c: MalformedCase): boolean {
  const warnings = logLines(stderr).filter((line) => Number(line.level) >= 40)
  if (c.warn === undefined) return warnings.length === 0
  const [only] = warnings
  return warnings.length === 1 && only?.level === 40 && statusMatches(String(only.msg), c.warn)
}

// The next client asks for /healthz: its request line closes the log lines of the case before it.
const NEXT = 'GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n'

t.test('listener: each malformed request gets its status, and the next client is served', async (t) => {
  const listener = await startListener()
  t.teardown(() => listener.stop())
  const pid = await listener.pid()
  for (const c of MALFORMED) {
    // Keep-alive may leave the connection open after a 2xx/4xx: stop once the answer is complete.
    const before = listener.stderr().length
    const seen = await exchange(listener.port, { send: [c.send], stopWhen: answered, timeoutMs: 5000 })
    const next = await exchange(listener.port, { send: [NEXT], stopWhen: answered, timeoutMs: 5000 })
    const logged = await waitFor(() => {
      const since = listener.stderr().slice(before)
      return since.includes('"url":"/healthz"') ? since.slice(0, since.lastIndexOf('\n', since.indexOf('"url":"/healthz"'))) : undefined
    }, `the next client's request line after ${c.name}`)
    t.ok(warnsAsPromised(logged, c), `${c.name}: ${c.warn === undefined ? 'no warn line' : 'exactly its one warn line'}`)
    const line = statusLine(seen.data)
    t.ok(statusMatches(line, c.status), `${c.name}: ${line}`)
    t.not(seen.ending, 'timeout', `${c.name}: answered or closed in time`)
    t.equal(parseResponses(seen.data).rest, '', `${c.name}: nothing but HTTP on the wire`)
    t.equal(statusLine(next.data), 'HTTP/1.1 200 OK', `${c.name}: the next client is served`)
    record({
      section: 'Malformed HTTP', attack: c.name, mode: 'listener', sent: `${c.send.length} bytes at once, then 1 GET`,
      client: `${line || '(nothing)'}; next client 200`, service: `kept serving; ${c.warn === undefined ? 'no warn line' : 'one warn line'}`,
      ok: statusMatches(line, c.status) && statusLine(next.data) === 'HTTP/1.1 200 OK' && warnsAsPromised(logged, c),
    })
  }
  t.equal(await listener.pid(), pid, 'the same listener process served every case')
  t.equal(listener.starts(), 1, 'it was never restarted')
})

t.test('per-connection: each malformed request gets its status, the connection closes, the instance exits 0', async (t) => {
  const results = await pool(MALFORMED, 3, async (c) => {
    const { port, instance } = await oneShot('stdin')
    const seen = await exchange(port, { send: [c.send], timeoutMs: 8000 })
    const exited = await (await instance).exited
    return { c, seen, exited }
  })
  for (const { c, seen, exited } of results) {
    t.ok(warnsAsPromised(exited.stderr, c), `${c.name}: ${c.warn === undefined ? 'no warn line' : 'exactly its one warn line'}`)
    const line = statusLine(seen.data)
    t.ok(statusMatches(line, c.status), `${c.name}: ${line}`)
    t.equal(seen.ending, 'end', `${c.name}: the connection ends with a FIN, not a reset or our timeout`)
    t.equal(parseResponses(seen.data).rest, '', `${c.name}: nothing but HTTP on the wire`)
    t.equal(exited.code, 0, `${c.name}: the instance exits 0`)
    record({
      section: 'Malformed HTTP', attack: c.name, mode: 'per-connection', sent: `${c.send.length} bytes at once`,
      client: `${line || '(nothing)'}, then ${seen.ending === 'end' ? 'FIN' : seen.ending} after ${seen.ms} ms`,
      service: `instance exit ${exited.code} after ${exited.ms} ms; ${c.warn === undefined ? 'no warn line' : 'one warn line'}`,
      ok: statusMatches(line, c.status) && seen.ending === 'end' && exited.code === 0 && warnsAsPromised(exited.stderr, c),
    })
  }
})
