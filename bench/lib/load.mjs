// Warm throughput comes from wrk, a C load generator, in its own process. The raw-socket Node
// client in the benchmark process shared the 2 cores with the server and was itself the limit
// (bare node:http measured anywhere from 9.9k to 61k req/s). With the server pinned to core 0 and
// wrk to core 1, the server's core is the busy one (wrk needs 30–70% of its core, autocannon
// needed all of it and so measured itself), and the figure is the server's.
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { cpus } from 'node:os'

export const WRK = '/usr/bin/wrk'
const TASKSET = '/usr/bin/taskset'
export const SERVER_CORE = 0
const LOAD_CORE = 1

/** Pinning needs two cores and taskset; without them both share whatever the kernel gives. */
export const canPin = () => cpus().length >= 2 && existsSync(TASKSET)

/** argv run on one core, or as it is when pinning is not possible. */
export function pinned(argv, core) {
  return canPin() ? [TASKSET, '-c', String(core), ...argv] : argv
}

/**
 * `connections` clients for `seconds` against GET /roll, on keep-alive connections or with a
 * new connection per request (`Connection: close`: the server closes, wrk connects again).
 * Resolves with { requests, seconds }; any non-2xx answer or socket error fails the run.
 */
export function wrk(port, { connections, seconds, newConnection }) {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, ...(newConnection ? ['-H', 'Connection: close'] : []), `http://127.0.0.1:${port}/roll`]
  return new Promise((resolve, reject) => {
    const [command, ...rest] = pinned([WRK, ...args], LOAD_CORE)
    execFile(command, rest, { encoding: 'utf8', timeout: (seconds + 10) * 1000 }, (error, stdout) => {
      if (error) return reject(new Error(`wrk ${args.join(' ')}: ${error.message}`))
      const done = /(\d+) requests in ([\d.]+)(m?s)/.exec(stdout)
      const trouble = /Non-2xx or 3xx responses: \d+|Socket errors: [^\n]+/.exec(stdout)
      if (done === null) return reject(new Error(`wrk printed no total: ${stdout}`))
      if (trouble !== null) return reject(new Error(`wrk against :${port}${newConnection ? ' (new connection each)' : ''}: ${trouble[0]}`))
      resolve({ requests: Number(done[1]), seconds: Number(done[2]) / (done[3] === 'ms' ? 1000 : 1) })
    })
  })
}
