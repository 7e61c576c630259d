// The headline figures, computed once from the raw results, for the report, the chart and the
// run's closing summary.
import { median, quantile } from './stats.mjs'

export function figures(results) {
  const { pc, cold, warm, rss } = results
  const nodeMs = median(pc.nodeStart.latencies)
  const nodeRss = median(rss.nodeStart)
  const perConnection = {}
  for (const variant of results.pcList) {
    const c1 = pc[variant.key][1]
    perConnection[variant.key] = {
      label: variant.label,
      p50: median(c1.latencies),
      p99: quantile(c1.latencies, 0.99),
      cpuMs: median(c1.cpuMs),
      rssMb: median(rss[variant.key] ?? []),
      byConcurrency: Object.fromEntries(variant.concurrency.map((c) => [c, {
        p50: median(pc[variant.key][c].latencies),
        p99: quantile(pc[variant.key][c].latencies, 0.99),
        rps: median(pc[variant.key][c].rps),
        cpuMs: median(pc[variant.key][c].cpuMs),
      }])),
    }
  }
  const listenerCold = {}
  for (const variant of results.coldList) {
    const r = cold[variant.key]
    listenerCold[variant.key] = { label: variant.label, firstMs: median(r.firstMs), cpuMs: median(r.cpuMs), idleRss: median(r.idleRss) }
  }
  const listenerWarm = {}
  for (const variant of warm === undefined ? [] : results.warmList) {
    const r = warm[variant.key]
    listenerWarm[variant.key] = {
      label: variant.label,
      keepAlive: variant.keepAlive,
      p50: median(r.latencies),
      p99: quantile(r.latencies, 0.99),
      keepAliveRps: median(r.keepAliveRps),
      keepAliveCpuMs: median(r.keepAliveCpuMs),
      newConnRps: median(r.newConnRps),
      newConnCpuMs: median(r.newConnCpuMs),
      // What the cost model charges a warm request: traffic sparse enough for the choice between
      // the models to matter mostly comes on new connections.
      cpuMs: median(r.newConnCpuMs),
      rss: r.rss,
      peakRss: r.peakRss,
    }
  }
  const warmRatio = (key, base, over = 'diceroll') => (listenerWarm[over] && listenerWarm[base] ? listenerWarm[over][key] / listenerWarm[base][key] : NaN)
  const d = perConnection.diceroll
  const httpOnce = perConnection.httpOnce
  const quiet = perConnection.fastifyQuiet
  // Issue #13's goals, each a ratio measured side by side in this run, on this run's Node.
  // `floor` and `peer`: the same ratio for bare node:http (where the goal is not measured against
  // it) and for stock Fastify without a logger: how close to the limit a server that parses HTTP
  // with node:http and does nothing else, and the lightest Fastify app, get.
  const goals = [
    { goal: 'per-connection p50 ≤ 1.25× `node -e 0`', value: d.p50 / nodeMs, limit: 1.25, floor: httpOnce ? httpOnce.p50 / nodeMs : NaN, peer: quiet ? quiet.p50 / nodeMs : NaN },
    { goal: 'per-connection peak RSS ≤ 1.2× `node -e 0`', value: d.rssMb / nodeRss, limit: 1.2, floor: httpOnce ? httpOnce.rssMb / nodeRss : NaN, peer: quiet ? quiet.rssMb / nodeRss : NaN },
    { goal: 'listener cold first response ≤ 1.5× `node -e 0`', value: listenerCold.diceroll.firstMs / nodeMs, limit: 1.5, floor: listenerCold.http ? listenerCold.http.firstMs / nodeMs : NaN, peer: listenerCold.fastifyQuiet ? listenerCold.fastifyQuiet.firstMs / nodeMs : NaN },
    { goal: 'warm keep-alive CPU/request ≤ 1.3× bare `node:http`, request log on, into a pipe', value: warmRatio('keepAliveCpuMs', 'http'), limit: 1.3, floor: NaN, peer: warmRatio('keepAliveCpuMs', 'http', 'fastifyQuiet') },
    { goal: 'the same with the journal\'s level prefix (`JOURNAL_STREAM` set)', value: warmRatio('keepAliveCpuMs', 'http', 'dicerollJournal'), limit: 1.3, floor: NaN, peer: NaN },
    { goal: 'warm keep-alive CPU/request ≤ 0.75× stock Fastify with its default logger', value: warmRatio('keepAliveCpuMs', 'fastify'), limit: 0.75, floor: warmRatio('keepAliveCpuMs', 'fastify', 'http'), peer: warmRatio('keepAliveCpuMs', 'fastify', 'fastifyQuiet') },
    { goal: 'warm new connection per request, CPU/request ≤ 1.5× bare `node:http`', value: warmRatio('newConnCpuMs', 'http'), limit: 1.5, floor: NaN, peer: warmRatio('newConnCpuMs', 'http', 'fastifyQuiet') },
  ].map((g) => ({ ...g, met: g.value <= g.limit }))
  return { nodeMs, nodeRss, perConnection, listenerCold, listenerWarm, goals }
}

/** The cost model's inputs for one implementation (diceroll or Flask). */
export function costInputs(f, key) {
  const pc = f.perConnection[key]
  const cold = f.listenerCold[key]
  const warm = f.listenerWarm[key]
  if (!pc || !cold || !warm) return undefined
  return {
    pc: { latencyMs: pc.p50, cpuMs: pc.cpuMs, rssMb: pc.rssMb },
    li: { coldMs: cold.firstMs, coldCpuMs: cold.cpuMs, rssMb: warm.rss, cpuMs: warm.cpuMs },
  }
}
