#!/usr/bin/env node
// The startup snapshot against the bundle on the node that runs this (run it per line with
// `node scripts/node-line.mjs 24 -- sh -c 'npm run build && node bench/node-line.mjs'`), with
// the measuring code of npm run bench, every variant interleaved round by round so a busy
// machine slows all alike: per-connection p50 against `node -e 0`, the cold listener's first
// response and the warm keep-alive CPU per request, both against bare node:http.
// Prints one JSON line. Run it with NODE_EXTRA_CA_CERTS unset (it slows every node start).
import { mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { listenerCold, listenerWarm, perConnection } from './lib/measure.mjs'
import { median } from './lib/stats.mjs'
import { LISTENER_FLAGS, PER_CONNECTION_FLAGS } from '../scripts/launchers.mjs'

const root = resolve(import.meta.dirname, '..')
const dist = join(root, 'dist')
const node = process.execPath
const option = (name, fallback) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback)
const rounds = option('rounds', 5)
const logDir = join(tmpdir(), 'diceroll-node-line')
mkdirSync(logDir, { recursive: true })
const progress = (line) => process.stderr.write(`${line}\n`)

const launch = join(dist, 'launch.cjs')
const snapshotListener = [node, ...LISTENER_FLAGS, '--snapshot-blob', join(dist, 'diceroll.blob'), launch]
const pc = await perConnection({
  list: [
    { key: 'snapshot', argv: [node, ...PER_CONNECTION_FLAGS, '--snapshot-blob', join(dist, 'diceroll-per-connection.blob'), launch, '--mode=per-connection'], concurrency: [1] },
    { key: 'bundle', argv: [node, launch, '--mode=per-connection'], concurrency: [1] },
  ],
  nodeStart: { argv: [node, '-e', '0'] },
  rounds,
  counts: { 1: 20 },
  logDir,
  progress,
})
const listeners = [
  { key: 'snapshot', argv: [...snapshotListener, '--mode=listener'], keepAlive: true },
  { key: 'bundle', argv: [node, launch, '--mode=listener'], keepAlive: true },
  { key: 'http', argv: [node, join(root, 'bench/servers/bare-http.cjs')], keepAlive: true },
]
const cold = await listenerCold({ list: listeners, rounds: rounds * 2, logDir, progress })
const warm = await listenerWarm({ list: listeners, rounds, counts: { latency: 200 }, seconds: 2, warmUp: true, logDir, progress })

const floor = median(pc.nodeStart.latencies)
const ratio = (value, base) => Number((value / base).toFixed(2))
const round = (value, digits = 1) => Number(value.toFixed(digits))
const result = { node: process.version, rounds, nodeStartMs: round(floor) }
for (const key of ['snapshot', 'bundle']) {
  const p50 = median(pc[key][1].latencies)
  result[`perConnection.${key}`] = { p50Ms: round(p50), vsNode: ratio(p50, floor) }
}
const coldHttp = median(cold.http.firstMs)
const warmHttp = median(warm.http.keepAliveCpuMs)
result['cold.http'] = { firstMs: round(coldHttp) }
result['warm.http'] = { cpuUsPerRequest: round(warmHttp * 1000) }
for (const key of ['snapshot', 'bundle']) {
  result[`cold.${key}`] = { firstMs: round(median(cold[key].firstMs)), vsHttp: ratio(median(cold[key].firstMs), coldHttp) }
  result[`warm.${key}`] = { cpuUsPerRequest: round(median(warm[key].keepAliveCpuMs) * 1000), vsHttp: ratio(median(warm[key].keepAliveCpuMs), warmHttp) }
}
console.log(JSON.stringify(result))
