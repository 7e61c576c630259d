// Floods of connections. Per-connection: every connection costs a process, so the supervisor
// (our MaxConnections= stand-in) must bound the live instances and so the memory, and drop the
// rest at once. Listener: thousands of concurrent connections are served, or refused cleanly
// when the process runs out of file descriptors, and the process survives either way.
import t from 'tap'
import { exchange, GET_ROLL, parseResponses, statusLine } from '../fixtures/stress/client.js'
import { isAlive, rssKiB, startListener } from '../fixtures/stress/instances.js'
import { record, spread } from '../fixtures/stress/results.js'
import { startSupervisor } from '../fixtures/stress/supervisor.js'

t.setTimeout(240_000)

const MAX_CONNECTIONS = 16
/** A generous ceiling per Node instance (they measure ~60 MB resident here). */
const INSTANCE_RSS_CEILING_KIB = 120 * 1024
const complete = (data: string): boolean => parseResponses(data).statuses.length > 0

function outcomes(results: Array<{ data: string; ending: string }>): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const { data, ending } of results) {
    const key = complete(data) ? statusLine(data).slice(9) : data === '' ? `closed, nothing sent (${ending})` : 'PARTIAL'
    counts[key] = (counts[key] ?? 0) + 1
  }
  return counts
}
const describe = (counts: Record<string, number>): string => Object.entries(counts).map(([key, n]) => `${n}× ${key}`).join(', ')

t.test(`per-connection: a burst of 300 connections, MaxConnections=${MAX_CONNECTIONS}`, async (t) => {
  const supervisor = await startSupervisor({ maxConnections: MAX_CONNECTIONS })
  t.teardown(() => supervisor.stop())
  const started = Date.now()
  const results = await Promise.all(Array.from({ length: 300 }, () => exchange(supervisor.port, { send: [GET_ROLL], timeoutMs: 60_000 })))
  const floodMs = Date.now() - started
  await supervisor.idle(30_000)
  const stats = supervisor.stats()
  const counts = outcomes(results)
  const next = await exchange(supervisor.port, { send: [GET_ROLL], timeoutMs: 15_000 })
  await supervisor.idle(15_000)
  const leftovers = supervisor.pids().filter(isAlive)
  t.ok(stats.peakLive <= MAX_CONNECTIONS, `at most ${MAX_CONNECTIONS} instances alive at once (peak ${stats.peakLive})`)
  t.equal(stats.spawned + stats.refused, 300, 'every connection was served or dropped')
  t.equal((counts['200 OK'] ?? 0), stats.spawned, 'every instance answered 200')
  t.equal(counts.PARTIAL, undefined, 'no client saw a partial response')
  t.same(stats.exits, { 0: stats.spawned }, 'every instance exited 0')
  t.ok(stats.peakRssKiB <= MAX_CONNECTIONS * INSTANCE_RSS_CEILING_KIB, `memory bounded: peak ${Math.round(stats.peakRssKiB / 1024)} MB for all instances`)
  t.equal(statusLine(next.data), 'HTTP/1.1 200 OK', 'the next client is served')
  t.same(leftovers, [], 'no process is left behind')
  record({
    section: 'Floods', attack: `burst of 300 connections, supervisor MaxConnections=${MAX_CONNECTIONS}`, mode: 'per-connection',
    sent: `300 connections at once (all open within ${floodMs} ms)`,
    client: describe(counts),
    service: `${stats.spawned} instances, peak ${stats.peakLive} alive, peak ${Math.round(stats.peakRssKiB / 1024)} MB total RSS, longest ${stats.longestMs} ms; all exit 0; none left`,
    ok: stats.peakLive <= MAX_CONNECTIONS && counts.PARTIAL === undefined && leftovers.length === 0 && stats.exits['0'] === stats.spawned,
  })
})

t.test('per-connection: 100 silent connections (connect, send nothing), --request-timeout=1', async (t) => {
  const supervisor = await startSupervisor({ maxConnections: MAX_CONNECTIONS, args: ['--request-timeout=1'] })
  t.teardown(() => supervisor.stop())
  const results = await Promise.all(Array.from({ length: 100 }, () => exchange(supervisor.port, { send: [30_000], timeoutMs: 40_000 })))
  await supervisor.idle(30_000)
  const stats = supervisor.stats()
  const counts = outcomes(results)
  const leftovers = supervisor.pids().filter(isAlive)
  t.ok(stats.peakLive <= MAX_CONNECTIONS, `peak ${stats.peakLive} alive`)
  t.equal(counts['408 Request Timeout'], stats.spawned, 'every instance answered 408 at its deadline')
  t.same(stats.exits, { 11: stats.spawned }, 'and exited 11')
  t.same(leftovers, [], 'no process is left behind')
  record({
    section: 'Floods', attack: `100 silent connections, MaxConnections=${MAX_CONNECTIONS}, --request-timeout=1`, mode: 'per-connection',
    sent: '100 connections at once, no bytes', client: describe(counts),
    service: `${stats.spawned} instances, peak ${stats.peakLive} alive, longest ${stats.longestMs} ms incl. startup; all exit 11; none left`,
    ok: stats.peakLive <= MAX_CONNECTIONS && counts['408 Request Timeout'] === stats.spawned && leftovers.length === 0,
  })
})

for (const [title, prefix] of [['3000 concurrent connections', ''], ['3000 concurrent connections, fd limit 256 (ulimit -n)', 'ulimit -n 256;']] as const) {
  t.test(`listener: ${title}`, async (t) => {
    const listener = await startListener({ shellPrefix: prefix })
    t.teardown(() => listener.stop())
    const pid = await listener.pid()
    const before = rssKiB(pid)
    let peak = before
    const sampler = setInterval(() => (peak = Math.max(peak, rssKiB(pid))), 50)
    const started = Date.now()
    const results = await Promise.all(Array.from({ length: 3000 }, () => exchange(listener.port, { send: [GET_ROLL], stopWhen: complete, timeoutMs: 30_000 })))
    const floodMs = Date.now() - started
    clearInterval(sampler)
    const counts = outcomes(results)
    const next = await exchange(listener.port, { send: [GET_ROLL], stopWhen: complete })
    t.equal(counts.PARTIAL, undefined, 'no partial responses')
    t.equal(Object.keys(counts).filter((key) => key !== '200 OK' && !key.startsWith('closed')).length, 0, 'only 200s and clean refusals')
    if (prefix === '') t.equal(counts['200 OK'], 3000, 'all 3000 served')
    t.equal(statusLine(next.data), 'HTTP/1.1 200 OK', 'the next client is served')
    t.equal(await listener.pid(), pid, 'the same process')
    t.equal(listener.starts(), 1, 'never restarted')
    record({
      section: 'Floods', attack: title, mode: 'listener', sent: `3000 connections at once, 1 GET each (${floodMs} ms for all)`,
      client: `${describe(counts)}; latency ${spread(results.map((r) => r.ms))}`,
      service: `RSS ${Math.round(before / 1024)} → peak ${Math.round(peak / 1024)} MB; same process; next client 200`,
      ok: counts.PARTIAL === undefined && statusLine(next.data) === 'HTTP/1.1 200 OK' && listener.starts() === 1,
    })
  })
}
