#!/usr/bin/env node
// npm run bench [-- --quick]: the two activation models side by side on this machine, written
// to docs/benchmarks.md and docs/benchmarks.svg (--quick: a few seconds, for CI, written to
// .cache/bench/ so the quoted figures are never replaced by a quick run's).
import { mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from './lib/activate.mjs'
import { peakRssMb, peakRssOfCommand } from './lib/inetd.mjs'
import { listenerCold, listenerWarm, perConnection } from './lib/measure.mjs'
import { nameOption, publish } from './report.mjs'
import { ensurePackages, prepare, variants } from './lib/variants.mjs'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const quick = process.argv.includes('--quick')
// --name=benchmarks-node20: write docs/<name>.md and .svg, beside the run on another Node line.
const name = nameOption(process.argv)
const work = join(root, '.cache/bench')
const outDir = quick ? work : join(root, 'docs')
const started = performance.now()
const progress = (message) => console.log(`[${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${message}`)

// A cold start is one sample per variant per round: 15 rounds, since a median of 7 moved by a
// quarter between two runs on this 2-core machine.
const plan = quick
  ? { pcRounds: 1, pcCounts: { 1: 3, 4: 4, 16: 16 }, coldRounds: 1, warmRounds: 1, warmCounts: { latency: 20 }, warmSeconds: 1, rssSamples: 1 }
  : { pcRounds: 5, pcCounts: { 1: 12, 4: 24, 16: 48 }, coldRounds: 15, warmRounds: 5, warmCounts: { latency: 300 }, warmSeconds: 2, rssSamples: 5 }

// Every Node variant runs on the node running this script, and so must dist/diceroll, whose
// launcher names the node it was built with (npm run bench builds with the node first on PATH).
const launcherNode = /^node='([^']*)'$/m.exec(readFileSync(join(root, 'dist/diceroll'), 'utf8'))?.[1]
if (launcherNode === undefined || realpathSync(launcherNode) !== realpathSync(process.execPath)) {
  console.error(`bench: dist/diceroll starts ${launcherNode ?? 'an unknown node'} but the bench runs under ${process.execPath}: build with the same node (PATH=${dirname(process.execPath)}:$PATH npm run bench)`)
  process.exit(2)
}
progress(`Node ${process.version} (${process.execPath}) runs every Node variant`)

rmSync(work, { recursive: true, force: true })
mkdirSync(join(work, 'logs'), { recursive: true })
const logDir = join(work, 'logs')

// --quick installs nothing unless asked (--install, as .ci/run does, so CI measures every section).
const install = !quick || process.argv.includes('--install')
const packages = ensurePackages({ install })
const notInstalled = (what) => `${what} is not installed${install ? ' and apt-get could not install it' : ' (--quick installs nothing; add --install)'}`
progress(packages.flask
  ? `Flask ${packages.flaskVersion} found: the classic recipe is measured too`
  : `${notInstalled('python3-flask')}: the Flask rows are skipped`)
if (!packages.wrk) progress(`${notInstalled('wrk')}: warm throughput is not measured`)
prepare(root, work, { steps: !quick })
progress(`step artifacts ready in ${work}`)

const v = variants(root, work, { proxyPort: await freePort() })
const with_ = (variant, key, args, extra = {}) => ({ ...variant, key, argv: [...variant.argv, ...args], ...extra })
const ALL = [1, 4, 16]
const pcList = [
  with_(v.net, 'net', [], { concurrency: quick ? [1, 4] : ALL }),
  with_(v.httpOnce, 'httpOnce', [], { concurrency: quick ? [1, 4] : ALL }),
  ...(quick ? [] : ['modules', 'bundle', 'bundleCacheEager', 'bundleCache', 'snapshotEager', 'snapshotDirect', 'snapshotNoRehash', 'snapshotPruned', 'snapshotNoSparkplug', 'snapshotTunables'].map((key) => with_(v[key], key, ['--mode=per-connection'], { concurrency: [1] }))),
  with_(v.diceroll, 'diceroll', ['--mode=per-connection'], { concurrency: quick ? [1, 4] : ALL }),
  // Not at 16: sixteen Fastify starts from node_modules at once take over 10 s on a busy 2-core machine.
  with_(v.fastify, 'fastify', ['per-connection'], { concurrency: [1, 4] }),
  with_(v.fastifyQuiet, 'fastifyQuiet', ['per-connection'], { concurrency: [1, 4] }),
  ...(packages.flask ? [with_(v.flask, 'flask', ['per-connection'], { concurrency: quick ? [1, 4] : ALL })] : []),
]
const coldList = [
  with_(v.http, 'http', []),
  ...(quick ? [] : [with_(v.modules, 'modules', ['--mode=listener']), with_(v.bundleCache, 'bundleCache', ['--mode=listener'])]),
  with_(v.diceroll, 'diceroll', ['--mode=listener']),
  with_(v.fastify, 'fastify', []),
  with_(v.fastifyQuiet, 'fastifyQuiet', []),
  with_(v.proxyd, 'proxyd', []),
  ...(packages.flask ? [with_(v.flask, 'flask', ['listener'])] : []),
]
const warmList = [
  with_(v.http, 'http', [], { keepAlive: true }),
  with_(v.diceroll, 'diceroll', ['--mode=listener'], { keepAlive: true }),
  // The journal's level prefix: JOURNAL_STREAM names the log pipe, as systemd sets it.
  with_(v.diceroll, 'dicerollJournal', ['--mode=listener'], { keepAlive: true, journal: true, label: 'diceroll, stderr taken for the journal (`JOURNAL_STREAM` set)' }),
  with_(v.fastify, 'fastify', [], { keepAlive: true }),
  with_(v.fastifyQuiet, 'fastifyQuiet', [], { keepAlive: true }),
  with_(v.proxyd, 'proxyd', [], { keepAlive: true }),
  with_(v.diceroll, 'standalone', ['--mode=standalone', '--host=127.0.0.1'], { keepAlive: true, standalone: true, label: 'diceroll standalone (no systemd)' }),
  ...(packages.flask ? [with_(v.flask, 'flask', ['listener'], { keepAlive: false })] : []),
]

const pc = await perConnection({ list: pcList, nodeStart: v.nodeStart, rounds: plan.pcRounds, counts: plan.pcCounts, logDir, progress })
const cold = await listenerCold({ list: coldList, rounds: plan.coldRounds, logDir, progress })
const warm = packages.wrk
  ? await listenerWarm({ list: warmList, rounds: plan.warmRounds, counts: plan.warmCounts, seconds: plan.warmSeconds, warmUp: !quick, logDir, progress })
  : undefined

const rss = { nodeStart: [] }
if (!packages.time) progress('no /usr/bin/time (Debian package "time"): peak RSS per instance is not measured')
for (let i = 0; packages.time && i < plan.rssSamples; i++) {
  rss.nodeStart.push(await peakRssOfCommand(v.nodeStart.argv))
  for (const variant of pcList) (rss[variant.key] ??= []).push(await peakRssMb(variant.argv, { inetd: variant.inetd ?? true, env: variant.env }))
}
if (packages.time) progress(`peak RSS per instance, ${plan.rssSamples} sample${plan.rssSamples > 1 ? 's' : ''} each`)

// When and under what load it was measured: a redraw (bench/report.mjs) must not restamp them.
const results = { measuredAt: new Date().toISOString(), loadavg: loadavg(), node: { version: process.version, execPath: process.execPath }, quick, plan, packages, variants: v, pcList, coldList, warmList, pc, cold, warm, rss }
// The raw figures, for a look behind the tables; `node bench/report.mjs` redraws from them.
writeFileSync(join(work, 'results.json'), JSON.stringify(results))
progress('measured')
publish(results, { root, outDir, name, command: `npm run bench -- ${[quick ? '--quick' : '', name === 'benchmarks' ? '' : `--name=${name}`].filter(Boolean).join(' ')}`.replace(/ -- $/, '') })
