// The three measurement phases. Variants are interleaved within each round (rotated each
// round), so slow drifts of a shared machine hit every variant alike.
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { activate, cleanEnv, liveChildren, standalone } from './activate.mjs'
import { keepAliveSeries, requestOnce } from './client.mjs'
import { pinned, SERVER_CORE, wrk } from './load.mjs'
import { childrenGone, cpuMs, rssMb } from './proc.mjs'
import { median, rotate } from './stats.mjs'

const sleep = (ms) => new Promise((done) => setTimeout(done, ms))

/** `total` requests, each on a new connection, by `concurrency` clients at once. */
export async function burst(port, concurrency, total) {
  const latencies = []
  let next = 0
  const client = async () => {
    while (next < total) {
      next++
      const { ms, status } = await requestOnce(port)
      if (status !== 200) throw new Error(`status ${status} from :${port}`)
      latencies.push(ms)
    }
  }
  const started = performance.now()
  await Promise.all(Array.from({ length: concurrency }, client))
  return { latencies, seconds: (performance.now() - started) / 1000 }
}

/** Spawn-to-exit time of a command that needs no connection. */
export function runOnce(argv) {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(argv[0], argv.slice(1), { env: cleanEnv(), stdio: 'ignore' })
    child.once('error', reject)
    child.once('exit', () => resolve(performance.now() - started))
  })
}

/**
 * Accept=yes under systemd-socket-activate --accept (--inetd unless the variant says no). Per
 * variant and concurrency: latencies, requests/s per round, CPU ms per request (from the reaped
 * children's CPU time).
 */
export async function perConnection({ list, nodeStart, rounds, counts, logDir, progress }) {
  const results = { nodeStart: { latencies: [], roundMedians: [] } }
  const running = []
  for (const variant of list) {
    const act = await activate(variant.argv, { accept: true, inetd: variant.inetd ?? true, env: variant.env, log: join(logDir, `per-connection-${variant.key}.log`) })
    running.push({ variant, act })
    results[variant.key] = {}
    for (const c of variant.concurrency) results[variant.key][c] = { latencies: [], roundMedians: [], rps: [], cpuMs: [] }
    await requestOnce(act.port) // the first start reads everything from disk: not measured
  }
  try {
    for (let round = 0; round < rounds; round++) {
      const starts = []
      for (let i = 0; i < counts[1]; i++) starts.push(await runOnce(nodeStart.argv))
      results.nodeStart.latencies.push(...starts)
      results.nodeStart.roundMedians.push(median(starts))
      for (const { variant, act } of rotate(running, round)) {
        for (const c of variant.concurrency) {
          const before = await cpuMs(act.pid)
          const { latencies, seconds } = await burst(act.port, c, counts[c])
          await childrenGone(act.pid)
          const after = await cpuMs(act.pid)
          const slot = results[variant.key][c]
          slot.latencies.push(...latencies)
          slot.roundMedians.push(median(latencies))
          slot.rps.push(latencies.length / seconds)
          slot.cpuMs.push((after.children - before.children) / latencies.length)
        }
      }
      progress(`per-connection round ${round + 1}/${rounds}`)
    }
  } finally {
    for (const { act } of running) await act.stop()
  }
  return results
}

/**
 * Accept=no, cold: a fresh systemd-socket-activate per sample, so each first request starts the
 * process. Records connect → whole response, the CPU the process used for it, and its RSS idle.
 */
export async function listenerCold({ list, rounds, logDir, progress }) {
  const results = Object.fromEntries(list.map((v) => [v.key, { firstMs: [], cpuMs: [], idleRss: [] }]))
  for (let round = 0; round < rounds; round++) {
    for (const variant of rotate(list, round)) {
      const act = await activate(variant.argv, { log: join(logDir, `listener-cold-${variant.key}.log`) })
      try {
        const { ms, status } = await requestOnce(act.port)
        if (status !== 200) throw new Error(`${variant.key}: status ${status}`)
        const cpu = await treeCpuMs(act.pid)
        await sleep(200)
        results[variant.key].firstMs.push(ms)
        results[variant.key].cpuMs.push(cpu)
        results[variant.key].idleRss.push((await treeRssMb(act.pid)).rss)
      } finally {
        await act.stop()
      }
    }
    progress(`listener cold start round ${round + 1}/${rounds}`)
  }
  return results
}

/**
 * Accept=no, warm (and standalone): one long-lived process per variant, pinned to its own core.
 * Per round: latency at concurrency 1 (keep-alive, or a new connection each for servers that
 * close every connection), then wrk (bench/lib/load.mjs) with 16 connections, keep-alive and
 * with a new connection per request, and the server's CPU per request in each; RSS after all.
 */
export async function listenerWarm({ list, rounds, counts, seconds, warmUp, logDir, progress }) {
  const running = []
  const results = {}
  for (const variant of list) {
    const log = join(logDir, `listener-warm-${variant.key}.log`)
    const argv = pinned(variant.argv, SERVER_CORE)
    const act = variant.standalone ? await standalone(argv, log) : await activate(argv, { log, journal: variant.journal })
    running.push({ variant, act })
    results[variant.key] = { latencies: [], roundMedians: [], keepAliveRps: [], keepAliveCpuMs: [], newConnRps: [], newConnCpuMs: [], rss: NaN, peakRss: NaN }
    // Start it, and in a full run give V8 a second of wrk to optimise the hot paths, which takes
    // thousands of requests (a quick run measures them half-warm): not measured.
    await burst(act.port, 4, 50)
    if (warmUp) await wrk(act.port, { connections: 16, seconds: 1 })
  }
  // The server's own CPU time for what wrk sent: the robust figure on a shared machine.
  const measured = async (act, load) => {
    const before = await treeCpuMs(act.pid)
    const { requests, seconds: took } = await load()
    const after = await treeCpuMs(act.pid)
    return { rps: requests / took, cpuMs: (after - before) / requests }
  }
  try {
    for (let round = 0; round < rounds; round++) {
      for (const { variant, act } of rotate(running, round)) {
        const slot = results[variant.key]
        const latencies = variant.keepAlive
          ? await keepAliveSeries(act.port, counts.latency)
          : await series(counts.latency, () => requestOnce(act.port).then(({ ms }) => ms))
        slot.latencies.push(...latencies)
        slot.roundMedians.push(median(latencies))
        if (variant.keepAlive) {
          const keepAlive = await measured(act, () => wrk(act.port, { connections: 16, seconds }))
          slot.keepAliveRps.push(keepAlive.rps)
          slot.keepAliveCpuMs.push(keepAlive.cpuMs)
        }
        const fresh = await measured(act, () => wrk(act.port, { connections: 16, seconds, newConnection: true }))
        slot.newConnRps.push(fresh.rps)
        slot.newConnCpuMs.push(fresh.cpuMs)
      }
      progress(`listener warm round ${round + 1}/${rounds}`)
    }
    for (const { variant, act } of running) Object.assign(results[variant.key], await treeRssMb(act.pid).then(({ rss, peak }) => ({ rss, peakRss: peak })))
  } finally {
    for (const { act } of running) await act.stop()
  }
  return results
}

/**
 * A long-lived server's own CPU ms: its process and the ones it started (the app behind
 * systemd-socket-proxyd is the proxy's child), which a per-request figure must both count.
 */
export async function treeCpuMs(pid) {
  let total = (await cpuMs(pid)).self
  for (const child of await liveChildren(pid)) total += (await cpuMs(child)).self
  return total
}

/** RSS now and at its peak of a server and the processes it started, summed, in MB. */
async function treeRssMb(pid) {
  const all = await Promise.all([pid, ...(await liveChildren(pid))].map((p) => rssMb(p)))
  return { rss: all.reduce((sum, m) => sum + m.rss, 0), peak: all.reduce((sum, m) => sum + m.peak, 0) }
}

async function series(count, one) {
  const values = []
  for (let i = 0; i < count; i++) values.push(await one())
  return values
}
