#!/usr/bin/env node
// npm run bench:instructions [-- --quick] [--new-connection] [--install] [--only=http,diceroll] [--warm=N]
// [--measured=N] [--server='name=node my.js']: the instructions each server spends per warm
// keep-alive request, counted by valgrind. CPU time per request varies by ±50% between rounds on
// a shared 2-core VM, and such VMs have no PMU for `perf stat`; an instruction count is nearly
// the same whatever else the machine does, so small changes to the warm path can be compared.
// Each server runs twice under `valgrind --tool=cachegrind --cache-sim=no` behind
// systemd-socket-activate, serving WARM and then WARM + MEASURED sequential GET /roll on one
// connection; the difference ÷ MEASURED leaves out the start, the warm-up and the exit.
// Writes docs/instructions-node<major>.md (--quick: three servers, 4,000 + 2,000 requests, into .cache/bench/), and where
// each server's instructions go, by function, in .cache/bench/instructions-node<major>/<server>.functions.txt.
// --new-connection: each request on a connection of its own (`Connection: close`, the server
// closes), into instructions-new-connection-node<major>.md: what accepting and closing cost.
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { basename, dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { activate } from './lib/activate.mjs'
import { keepAliveSeries, requestOnce } from './lib/client.mjs'
import { aptInstall } from './lib/variants.mjs'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const argv = process.argv.slice(2)
const quick = argv.includes('--quick')
const countOption = (name, fallback) => Number(argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback)
// V8 is still optimising the path for the first ~10,000 requests under valgrind: diceroll's count
// per request after 2,000 was 1.9× its steady one; after 20,000 and 30,000 they agree within 0.3%.
// --quick only proves the benchmark works (CI): its counts, a fifth as long, are not steady ones.
const WARM = countOption('warm', quick ? 4000 : 20000)
const MEASURED = countOption('measured', quick ? 2000 : 10000)
if (!(Number.isInteger(WARM) && WARM >= 0 && Number.isInteger(MEASURED) && MEASURED > 0)) {
  console.error('bench: --warm= and --measured= take a whole number of requests, e.g. --warm=2000 --measured=8000')
  process.exit(2)
}
const newConnection = argv.includes('--new-connection')
// One per Node line and kind, so that two can be counted at once.
const name = `instructions${newConnection ? '-new-connection' : ''}-node${process.versions.node.split('.')[0]}`
const work = join(root, '.cache/bench', name)
const outFile = join(root, quick ? '.cache/bench' : 'docs', `${name}.md`)
const node = process.execPath
const servers = join(root, 'bench/servers')
const dist = join(root, 'dist')
const started = performance.now()
const progress = (message) => console.log(`[${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${message}`)

// diceroll runs from the bundle with its code cache: node does not start from a startup snapshot
// under valgrind. The warm path is the same code either way (the snapshot only saves the start).
const SERVERS = {
  http: { label: 'bare `node:http`', argv: [node, join(servers, 'bare-http.cjs')] },
  fastifyQuiet: { label: 'stock Fastify 5, no logger', argv: [node, join(servers, 'stock-fastify.cjs'), '--no-logger'] },
  fastify: { label: 'stock Fastify 5, `logger: true`', argv: [node, join(servers, 'stock-fastify.cjs')] },
  diceroll: { label: 'diceroll (request line at info)', argv: [node, join(dist, 'launch.cjs')] },
  dicerollWarn: { label: 'diceroll `--log-level=warn` (no request line)', argv: [node, join(dist, 'launch.cjs'), '--log-level=warn'] },
}

// --server='label=command line' (split on spaces, run behind systemd-socket-activate with the
// listener as fd 3) counts another build beside these: a change to the warm path, or your own app.
for (const arg of argv.filter((a) => a.startsWith('--server='))) {
  const [label, command] = arg.slice('--server='.length).split(/=(.*)/s)
  if (!command?.trim()) {
    console.error(`bench: ${arg} names no command: use --server='my build=node /path/to/main.js'`)
    process.exit(2)
  }
  SERVERS[`server${Object.keys(SERVERS).length}`] = { label, argv: command.trim().split(/\s+/) }
}

const only = argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length).split(',') ?? (quick ? ['http', 'fastify', 'diceroll'] : undefined)
const unknown = only?.filter((key) => !(key in SERVERS)) ?? []
if (unknown.length > 0) {
  console.error(`bench: --only names ${unknown.join(', ')}, which is not a server here: use ${Object.keys(SERVERS).join(', ')}`)
  process.exit(2)
}
const hasValgrind = () => spawnSync('valgrind', ['--version'], { stdio: 'ignore' }).status === 0
if (!hasValgrind() && argv.includes('--install')) aptInstall(['valgrind'])
if (!hasValgrind()) {
  console.error('bench: valgrind is not installed: apt-get install valgrind, or add --install (as root)')
  process.exit(2)
}

/** Instructions valgrind counted in one run of `server` that served `count` requests. */
async function countRun(key, server, count) {
  const valgrindLog = join(work, `${key}-${count}.valgrind`)
  const valgrind = ['valgrind', '--tool=cachegrind', '--cache-sim=no', `--cachegrind-out-file=${join(work, `${key}-${count}.cg`)}`, `--log-file=${valgrindLog}`]
  // V8 compiles and collects on the main thread then: with its background threads, when an
  // optimised function lands depends on timing, and repeated counts of one build spread by ±8%
  // (2–6% like this). Both sides of every comparison run this way.
  const [program, ...rest] = server.argv
  const command = basename(program) === 'node' || program === node ? [program, '--single-threaded', ...rest] : server.argv
  const service = await activate([...valgrind, ...command], { log: join(work, `${key}-${count}.log`) })
  try {
    if (!newConnection) await keepAliveSeries(service.port, count, '/roll', '127.0.0.1', 600_000)
    else for (let i = 0; i < count; i++) await requestOnce(service.port)
  } finally {
    await service.stop(60_000)
  }
  const refs = /I\s+refs:\s+([\d,]+)/.exec(readFileSync(valgrindLog, 'utf8'))
  if (refs === null) throw new Error(`${key}: no instruction count in ${valgrindLog}`)
  return Number(refs[1].replaceAll(',', ''))
}

// V8's garbage collector, by the names of its C++ functions: it runs every few hundred requests,
// so its share of a window swings with how many collections fall into it.
const GC_FUNCTION = /Scaveng|IterateObjectCache|Heap::|Heap_|GCTracer|MarkCompact|Sweep|Evacuat|RememberedSet|RootVisitor|RootPointer|HashSeed|detail::sprp|MemoryChunk|SlotSet|SemiSpace|NewSpace|GlobalHandles::Iterate|Isolate::Iterate/

/**
 * The instructions of the measured requests by function (cg_diff of the two runs, through
 * cg_annotate; JIT-compiled JavaScript is the `???` line), written next to the counts, and the
 * GC's part of them.
 */
function perFunction(key, before, after) {
  const diff = join(work, `${key}.cgdiff`)
  const file = join(work, `${key}.functions.txt`)
  const run = (tool, args) => {
    const result = spawnSync(tool, args, { encoding: 'utf8', maxBuffer: 64 << 20 })
    if (result.status !== 0) throw new Error(`${key}: ${tool} failed: ${result.stderr.trim().split('\n').pop()}`)
    return result.stdout
  }
  writeFileSync(diff, run('cg_diff', [join(work, `${key}-${before}.cg`), join(work, `${key}-${after}.cg`)]))
  const text = run('cg_annotate', ['--auto=no', '--threshold=0', diff])
  writeFileSync(file, text)
  let gc = 0
  for (const line of text.split('\n')) {
    const match = /^\s*(-?[\d,]+)\s+\(\s*-?[\d.]+%\)\s+(.*)$/.exec(line)
    if (match !== null && !match[2].includes('PROGRAM TOTALS') && GC_FUNCTION.test(match[2])) gc += Number(match[1].replaceAll(',', ''))
  }
  return { file, gc }
}

rmSync(work, { recursive: true, force: true })
mkdirSync(work, { recursive: true })
progress(`Node ${process.version}: ${WARM} warm-up then ${MEASURED} measured requests per server, under valgrind`)
const rows = []
for (const [key, server] of Object.entries(SERVERS)) {
  if (only !== undefined && !only.includes(key) && !key.startsWith('server')) continue
  const base = await countRun(key, server, WARM)
  const total = await countRun(key, server, WARM + MEASURED)
  const perRequest = (total - base) / MEASURED
  const functions = perFunction(key, WARM, WARM + MEASURED)
  rows.push({ key, label: server.label, perRequest, gc: functions.gc / MEASURED })
  progress(`${server.label}: ${(perRequest / 1000).toFixed(1)}k instructions per request, ${(functions.gc / MEASURED / 1000).toFixed(1)}k of them in the GC; by function: ${relative(root, functions.file)}`)
}

const byKey = Object.fromEntries(rows.map((row) => [row.key, row.perRequest]))
const ratio = (key, to) => (byKey[key] !== undefined && byKey[to] !== undefined ? `${(byKey[key] / byKey[to]).toFixed(2)}×` : '–')
const k = (count) => `${(count / 1000).toFixed(1)}k`
const table = [
  '| server | instructions per request | in the GC | outside the GC | vs bare `node:http` | vs stock Fastify, `logger: true` |',
  '|---|---:|---:|---:|---:|---:|',
  ...rows.map((row) => `| ${row.label} | ${k(row.perRequest)} | ${k(row.gc)} | ${k(row.perRequest - row.gc)} | ${ratio(row.key, 'http')} | ${ratio(row.key, 'fastify')} |`),
].join('\n')
const text = `# Instructions per warm request${newConnection ? ', a new connection each' : ''}

\`npm run bench:instructions${quick || newConnection ? ` --${quick ? ' --quick' : ''}${newConnection ? ' --new-connection' : ''}` : ''}\`, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}.
Each server ran under \`valgrind --tool=cachegrind --cache-sim=no\` behind \`systemd-socket-activate\`,
node with \`--single-threaded\` (V8's compiler and GC on the main thread, so counts repeat),
once serving ${WARM} and once ${WARM + MEASURED} sequential ${newConnection ? '`GET /roll`, each on a new connection with `Connection: close`' : 'keep-alive `GET /roll` on one connection'},
its log lines into a pipe read by another process; the difference ÷ ${MEASURED} is below. The start,
the warm-up and the exit cancel out. Counts include V8's own threads (compiler, GC) and the timers
that fire while valgrind slows the server down, so they are close to, not exactly, a real run's.
"In the GC" sums V8's collector functions. It moves most between repeats, by up to ±5k either way
(below zero when the shorter run happened to collect more, as when an idle-time collection lands
in one run and not the other), so compare changes to the warm path "outside the GC" as well. Where the rest goes, by function, is in
\`.cache/bench/instructions-node<major>/<server>.functions.txt\` (\`cg_annotate\` of the difference of the two
runs; JIT-compiled JavaScript is its \`???\` line).

${table}

Why instructions: CPU time per request on this kind of host (a shared 2-core VM) varies by ±50%
between rounds, and its VM has no PMU for \`perf stat\`. Within one run a count repeats within 2–6%
whatever else the machine does, so it can tell a 10% change in the warm path apart; between days
it moved more (diceroll at warn: 63.6k once, 72.9–74.2k in three runs a day later, same code), so
compare a change in one run, with \`--server=\`. Count bundles: diceroll's
plain modules (\`node dist/main.js\`) spread from 62k to 102k between builds that differ by one
line, where the bundle at info repeats within 2%. It is not time: a cache miss
and a syscall count as one instruction each, and the kernel's part (the socket) is not counted.
`
mkdirSync(dirname(outFile), { recursive: true })
writeFileSync(outFile, text)
console.log(`\n${table}\n\nwrote ${outFile}${quick ? ' (quick run: not the quoted figures)' : ''} in ${((performance.now() - started) / 1000).toFixed(0)} s`)
