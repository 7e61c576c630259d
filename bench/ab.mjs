#!/usr/bin/env node
// Quick A/B of per-connection starts (and optionally listener cold starts): each variant is a
// command line; all run interleaved with `node -e 0`, round by round, and the medians print with
// their ratio to it. node bench/ab.mjs [--rounds=N] [--count=N] [--cold] 'name=cmd args' ...
// --warm instead: each variant a long-lived listener pinned to core 0 (as the bench runs them),
// wrk pinned to core 1, and per round the server's CPU µs per request, keep-alive and with a
// new connection each (--seconds=N per wrk run; --journal sets JOURNAL_STREAM to the log pipe).
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { activate } from './lib/activate.mjs'
import { requestOnce } from './lib/client.mjs'
import { peakRssMb, peakRssOfCommand } from './lib/inetd.mjs'
import { burst, runOnce, treeCpuMs } from './lib/measure.mjs'
import { pinned, SERVER_CORE, wrk } from './lib/load.mjs'
import { childrenGone } from './lib/proc.mjs'
import { median } from './lib/stats.mjs'

const option = (name, fallback) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback)
const rounds = option('rounds', 5)
const count = option('count', 10)
const cold = process.argv.includes('--cold')
const rss = process.argv.includes('--rss')
const warm = process.argv.includes('--warm')
const list = process.argv.slice(2).filter((a) => !a.startsWith('--')).map((spec) => {
  const [name, ...rest] = spec.split('=')
  return { name, argv: rest.join('=').split(' ') }
})
const logDir = join(tmpdir(), 'diceroll-ab')
mkdirSync(logDir, { recursive: true })
const nodeStart = [process.execPath, '-e', '0']
if (warm) {
  await warmAb()
  process.exit(0)
}
const samples = { 'node -e 0': [] }
const running = []
for (const v of list) {
  const act = await activate([...v.argv, '--mode=per-connection'], { accept: true, log: join(logDir, `${v.name}.log`) })
  running.push({ v, act })
  samples[v.name] = []
  if (cold) samples[`${v.name} cold`] = []
  await requestOnce(act.port)
}
try {
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < count; i++) samples['node -e 0'].push(await runOnce(nodeStart))
    for (const { v, act } of [...running.slice(round % running.length), ...running.slice(0, round % running.length)]) {
      const { latencies } = await burst(act.port, 1, count)
      await childrenGone(act.pid)
      samples[v.name].push(...latencies)
      if (cold) {
        for (let i = 0; i < Math.ceil(count / 3); i++) {
          const l = await activate([...v.argv, '--mode=listener'], { log: join(logDir, `${v.name}-cold.log`) })
          try { samples[`${v.name} cold`].push((await requestOnce(l.port)).ms) } finally { await l.stop() }
        }
      }
    }
  }
} finally {
  for (const { act } of running) await act.stop()
}
const floor = median(samples['node -e 0'])
for (const [name, values] of Object.entries(samples)) {
  console.log(`${name.padEnd(28)} p50 ${median(values).toFixed(1).padStart(6)} ms  ${(median(values) / floor).toFixed(2)}×  (n=${values.length})`)
}
if (rss) {
  const floorRss = []
  const byName = Object.fromEntries(list.map((v) => [v.name, []]))
  for (let i = 0; i < 3; i++) {
    floorRss.push(await peakRssOfCommand(nodeStart))
    for (const v of list) byName[v.name].push(await peakRssMb([...v.argv, '--mode=per-connection']))
  }
  console.log(`rss node -e 0 ${median(floorRss).toFixed(1)} MB`)
  for (const [name, values] of Object.entries(byName)) console.log(`rss ${name.padEnd(24)} ${median(values).toFixed(1)} MB  ${(median(values) / median(floorRss)).toFixed(2)}×`)
}

async function warmAb() {
  const seconds = option('seconds', 2)
  const journal = process.argv.includes('--journal')
  const servers = []
  for (const v of list) {
    const act = await activate(pinned([...v.argv, '--mode=listener'], SERVER_CORE), { journal, log: join(logDir, `${v.name}-warm.log`) })
    servers.push({ v, act, keepAlive: [], fresh: [] })
    await burst(act.port, 4, 50)
    await wrk(act.port, { connections: 16, seconds: 1 })
  }
  const perRequest = async (act, newConnection) => {
    const before = await treeCpuMs(act.pid)
    const { requests } = await wrk(act.port, { connections: 16, seconds, newConnection })
    return ((await treeCpuMs(act.pid)) - before) * 1000 / requests
  }
  try {
    for (let round = 0; round < rounds; round++) {
      for (const s of [...servers.slice(round % servers.length), ...servers.slice(0, round % servers.length)]) {
        s.keepAlive.push(await perRequest(s.act, false))
        s.fresh.push(await perRequest(s.act, true))
      }
    }
  } finally {
    for (const { act } of servers) await act.stop()
  }
  const base = servers[0]
  for (const s of servers) {
    const ka = median(s.keepAlive)
    const nc = median(s.fresh)
    console.log(`${s.v.name.padEnd(24)} keep-alive ${ka.toFixed(1).padStart(6)} µs/req ${(ka / median(base.keepAlive)).toFixed(2)}×  new connection ${nc.toFixed(1).padStart(6)} µs/req ${(nc / median(base.fresh)).toFixed(2)}×  (rounds ${s.keepAlive.map((x) => x.toFixed(1)).join(' ')})`)
  }
}
