// Restarts under keep-alive and new-connection load, under the fd store supervisor: each restart
// is SIGTERM, wait for the exit, start again (what `systemctl restart` does). Counts failed
// requests, the stop time and the longest wait of a request across the restarts, for the fd
// store path and for the drain path (no NOTIFY_SOCKET). docs/lifecycle.md quotes the figures.
import { Agent, request } from 'node:http'
import t from 'tap'
import { fdStoreSupervisor, type StoreOptions } from '../fixtures/fd-store-supervisor.js'

t.setTimeout(300_000)

const RESTARTS = Number(process.env.RESTARTS ?? 10)
const KEEP_ALIVE_CLIENTS = 6
const NEW_CONNECTION_CLIENTS = 2

function roll(port: number, agent: Agent | false): Promise<void> {
  return new Promise((done, fail) => {
    request({ host: '127.0.0.1', port, path: '/roll', agent }, (res) => {
      res.resume()
      res.on('end', () => (res.statusCode === 200 ? done() : fail(new Error(`status ${res.statusCode}`))))
    }).on('error', fail).end()
  })
}

async function run(options: StoreOptions): Promise<{ ok: number; failed: string[]; stopMs: number[]; startMs: number[]; longestMs: number }> {
  const supervisor = await fdStoreSupervisor(options)
  let service = await supervisor.start()
  let running = true
  let ok = 0
  let longestMs = 0
  const failed: string[] = []
  const client = async (agent: Agent | false): Promise<void> => {
    while (running) {
      const sentAt = performance.now()
      try {
        await roll(supervisor.port, agent)
        ok++
      } catch (error) {
        failed.push((error as Error).message)
      }
      longestMs = Math.max(longestMs, performance.now() - sentAt)
    }
  }
  const agents = Array.from({ length: KEEP_ALIVE_CLIENTS }, () => new Agent({ keepAlive: true, maxSockets: 1 }))
  const clients = [...agents.map(client), ...Array.from({ length: NEW_CONNECTION_CLIENTS }, () => client(false))]
  const stopMs: number[] = []
  const startMs: number[] = []
  for (let restart = 0; restart < RESTARTS; restart++) {
    await new Promise((done) => setTimeout(done, 300))
    const from = supervisor.events.length
    const signalledAt = performance.now()
    process.kill(service.pid as number, 'SIGTERM')
    await supervisor.next((event) => event.event === 'exit', from, 30_000)
    stopMs.push(performance.now() - signalledAt)
    const startedAt = performance.now()
    service = await supervisor.start()
    startMs.push(performance.now() - startedAt)
  }
  running = false
  await Promise.all(clients)
  for (const agent of agents) agent.destroy()
  await supervisor.stop()
  await supervisor.close()
  return { ok, failed, stopMs, startMs, longestMs }
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number

for (const [path, options] of [
  ['fd store', { env: { DICEROLL_FDSTORE: '512' }, max: 512 }],
  ['drain (no store)', { notify: false, args: ['--keep-alive-timeout=2'] }],
] as const) {
  t.test(`${RESTARTS} restarts under load, ${path}`, async (t) => {
    const { ok, failed, stopMs, startMs, longestMs } = await run(options)
    t.comment(`${path}: ${ok} requests answered, ${failed.length} failed (${[...new Set(failed)].join(', ')}); stop time median ${Math.round(median(stopMs))} ms, max ${Math.round(Math.max(...stopMs))} ms; start to serving median ${Math.round(median(startMs))} ms, max ${Math.round(Math.max(...startMs))} ms; longest request ${Math.round(longestMs)} ms`)
    t.same(failed, [], 'no request failed')
  })
}
