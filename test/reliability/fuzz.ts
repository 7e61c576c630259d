// The seeded fuzz, small enough for every run: the first 3000 cases against a listener and the
// first 24 through per-connection instances (npm run test:stress runs more of the same stream).
// Reproduce a failure with FUZZ_SEED and the case index it names.
import t from 'tap'
import { exchange, GET_ROLL, statusLine } from '../fixtures/stress/client.js'
import { describeStatuses, FUZZ_SEED, runFuzz } from '../fixtures/stress/fuzz-run.js'
import { isAlive, startListener } from '../fixtures/stress/instances.js'
import { record } from '../fixtures/stress/results.js'
import { startSupervisor } from '../fixtures/stress/supervisor.js'

const LISTENER_CASES = Number(process.env.FUZZ_LISTENER_CASES ?? 3000)
const INSTANCE_CASES = Number(process.env.FUZZ_INSTANCE_CASES ?? 24)

t.setTimeout(60_000 + INSTANCE_CASES * 1500 + LISTENER_CASES * 10)

t.test(`listener: ${LISTENER_CASES} fuzz cases (seed ${FUZZ_SEED})`, async (t) => {
  const listener = await startListener()
  t.teardown(() => listener.stop())
  const pid = await listener.pid()
  const report = await runFuzz(listener.port, LISTENER_CASES, 16, 3000)
  const next = await exchange(listener.port, { send: [GET_ROLL], endAfterSend: true })
  t.same(report.failures, [], 'every case: FIN, in time, only HTTP, no 5xx')
  t.equal(await listener.pid(), pid, 'no crash: the same process')
  t.equal(listener.starts(), 1, 'never restarted')
  t.equal(statusLine(next.data), 'HTTP/1.1 200 OK', 'the next client is served')
  record({
    section: 'Fuzz', attack: `seeded fuzz of request bytes (seed ${FUZZ_SEED})`, mode: 'listener',
    sent: `${report.cases} cases, 16 at a time, in ${report.ms} ms`, client: describeStatuses(report.statuses),
    service: `${report.failures.length} broken rules; same process throughout`, ok: report.failures.length === 0 && listener.starts() === 1,
  })
})

t.test(`per-connection: ${INSTANCE_CASES} fuzz cases (seed ${FUZZ_SEED}), one instance each`, async (t) => {
  // A cap above the client width: a slot frees only when the instance has exited, a moment
  // after its client saw the close, and no case should be refused here.
  const supervisor = await startSupervisor({ maxConnections: 12 })
  t.teardown(() => supervisor.stop())
  const report = await runFuzz(supervisor.port, INSTANCE_CASES, 4, 9000)
  await supervisor.idle(20_000)
  const stats = supervisor.stats()
  const leftovers = supervisor.pids().filter(isAlive)
  t.same(report.failures, [], 'every case: FIN, in time, only HTTP, no 5xx')
  t.equal(stats.refused, 0, 'none refused')
  t.same(stats.exits, { 0: INSTANCE_CASES }, 'every instance exited 0')
  t.same(leftovers, [], 'no process left behind')
  record({
    section: 'Fuzz', attack: `seeded fuzz of request bytes (seed ${FUZZ_SEED})`, mode: 'per-connection',
    sent: `${report.cases} cases, 4 at a time, in ${report.ms} ms`, client: describeStatuses(report.statuses),
    service: `${report.failures.length} broken rules; exits ${JSON.stringify(stats.exits)}; longest instance ${stats.longestMs} ms; none left`,
    ok: report.failures.length === 0 && stats.exits['0'] === INSTANCE_CASES && leftovers.length === 0,
  })
})
