// Issue #13's warm goal with the request line going where a real host sends it: journald's stream
// socket. diceroll.service as installed against bare node:http (bench/servers/bare-http.cjs, no
// log line), both socket-activated services of the same systemd, the same keep-alive load from
// inside the guest. CPU per request from systemd's own accounting of each service (CPUUsageNSec),
// and journald's beside it: what storing the lines costs the host. The guest may be emulated, so
// only the ratios mean anything; figures, never assertions. What is asserted: every request is
// answered, the listener runs with the launcher's malloc tunables, and every measured request's
// line is in the journal.
import t from 'tap'
import { type Context, LISTENER } from '../lib/context.js'
import { GUEST_SRC, journalCursor, journalEntries } from '../lib/guest.js'
import { figure, record, step } from '../lib/progress.js'

const BARE_PORT = 5090
const BARE_UNIT = 'e2e-bare-http'
const DROP_IN_DIR = '/run/systemd/system/diceroll.service.d'
// The measured rounds' source address, so that their request lines can be told from the rest.
const MEASURED_FROM = '127.0.0.2'
const CONNECTIONS = 4
// V8 is still optimising the path for the first ~10,000 requests (bench/instructions.mjs), and
// under emulation diceroll answers a few hundred a second: each server is warmed with as many
// requests, however long that takes (at most WARM_SECONDS).
const WARM_REQUESTS = 20_000
const WARM_SECONDS = 120
const SECONDS = 5
const ROUNDS = 3

/** What test/e2e/guest/keep-alive.mjs prints. */
interface KeepAliveReport { seconds: number, requests: number, ok: number, failed: number, errors: Record<string, number> }
interface Round extends KeepAliveReport { serviceNs: number, journaldNs: number, mainPid: [string, string] }

export function journalCost({ vm, guest }: Context): void {
  t.test('warm keep-alive CPU per request, request line into the journal: diceroll.service against bare node:http', async (t) => {
    // The same sandbox as diceroll.service where it costs per syscall (the seccomp filter), so the
    // ratio is of the servers, not of their hardening.
    await vm.sh(`systemd-run --quiet --unit=${BARE_UNIT} --socket-property=ListenStream=127.0.0.1:${BARE_PORT} -p DynamicUser=yes -p PrivateNetwork=yes ` +
      '-p \'SystemCallFilter=@system-service @pkey\' -p \'SystemCallFilter=~@privileged @resources\' -p SystemCallErrorNumber=EPERM -p SystemCallArchitectures=native ' +
      `${guest.node} ${GUEST_SRC}/bench/servers/bare-http.cjs`)
    // journald's rate limit off for the check (by default it drops a service's lines past 10,000
    // in 30 s, scaled up with the free disk space): every line is stored, so journald's CPU is
    // what storing them all costs, and the count below can be exact. It applies from the
    // service's next start.
    await vm.sh(`mkdir -p ${DROP_IN_DIR} && printf '[Service]\\nLogRateLimitIntervalSec=0\\n' > ${DROP_IN_DIR}/e2e-journal-cost.conf && systemctl daemon-reload && systemctl restart diceroll.service`)
    t.teardown(async () => {
      await vm.ssh(`systemctl stop ${BARE_UNIT}.socket ${BARE_UNIT}.service; systemctl reset-failed ${BARE_UNIT}.socket ${BARE_UNIT}.service 2>/dev/null; ` +
        `rm -f ${DROP_IN_DIR}/e2e-journal-cost.conf && systemctl daemon-reload && systemctl restart diceroll.service`)
    })
    const servers = [
      { name: 'bare node:http', unit: `${BARE_UNIT}.service`, port: BARE_PORT },
      { name: 'diceroll', unit: 'diceroll.service', port: LISTENER },
    ]
    const load = (port: number, seconds: number, requests = Infinity, from = '127.0.0.1'): string =>
      `${guest.node} ${GUEST_SRC}/test/e2e/guest/keep-alive.mjs ${port} ${CONNECTIONS} ${seconds} ${requests} ${from}`
    const cpu = (unit: string): string => `$(systemctl show --value -p CPUUsageNSec ${unit})`
    // Started and warmed (V8 optimises the hot path in the first thousands of requests) before
    // anything is counted.
    for (const { unit, port } of servers) {
      const warm = parseLoad(await vm.sh(load(port, WARM_SECONDS, WARM_REQUESTS)))
      step(`journal cost warm-up, ${unit}: ${warm.ok} requests in ${warm.seconds.toFixed(1)} s`)
      t.equal(warm.failed, 0, `${unit} warm-up: every request answered (${JSON.stringify(warm.errors)})`)
    }
    const main = await vm.sh('systemctl show --value -p MainPID diceroll.service')
    // glibc 2.36 (Debian 12) cuts the variable where it reads it, in place: /proc/PID/environ shows
    // its two settings as two entries (process.env still has the whole value).
    t.match(await vm.sh(`tr '\\0' '\\n' < /proc/${main}/environ`), /^GLIBC_TUNABLES=glibc\.malloc\.hugetlb=1[:\n]glibc\.malloc\.mmap_threshold=33554432$/m, 'the listener runs with the launcher\'s malloc tunables')
    figure('listener after warm-up: RSS, of it in transparent huge pages', (await vm.sh(`grep -E '^(Rss|AnonHugePages):' /proc/${main}/smaps_rollup | awk '{printf "%s %.1f MB ", $1, $2 / 1024}'`)).trim())
    await vm.sh('journalctl --sync')
    const cursor = await journalCursor(vm)
    const rounds: Record<string, Round[]> = {}
    for (let round = 1; round <= ROUNDS; round++) {
      for (const { name, unit, port } of servers) {
        // One ssh command: the readings bracket the load and nothing else the suite does, and
        // journald has stored what came before the first reading and during the load before the
        // second. The measured requests come from 127.0.0.2: their lines are told by it.
        const out = await vm.sh(`journalctl --sync; pid=$(systemctl show --value -p MainPID ${unit}); s=${cpu(unit)}; j=${cpu('systemd-journald.service')}; ` +
          `r=$(${load(port, SECONDS, Infinity, MEASURED_FROM)}); journalctl --sync; echo "$r"; echo "$pid $(systemctl show --value -p MainPID ${unit})"; ` +
          `echo "$(( ${cpu(unit)} - s )) $(( ${cpu('systemd-journald.service')} - j ))"`)
        const [json = '', pids = '', deltas = ''] = out.split('\n')
        const [serviceNs, journaldNs] = deltas.split(' ').map((n) => (n === '' ? NaN : Number(n)))
        const result: Round = { ...parseLoad(json), serviceNs: serviceNs ?? NaN, journaldNs: journaldNs ?? NaN, mainPid: pids.split(' ') as [string, string] }
        ;(rounds[name] ??= []).push(result)
        step(`journal cost round ${round}/${ROUNDS}, ${name}: ${result.ok} requests, ${perRequestUs(result.serviceNs, result.ok)} µs each, journald ${perRequestUs(result.journaldNs, result.ok)} µs`)
      }
    }
    for (const { name, unit } of servers) {
      for (const r of rounds[name] ?? []) {
        t.equal(r.failed, 0, `${name}: every request answered (${JSON.stringify(r.errors)})`)
        t.ok(r.ok > 0 && Number.isFinite(r.serviceNs) && r.serviceNs > 0 && Number.isFinite(r.journaldNs), `${unit}: requests served and CPUUsageNSec counted (${r.ok}, ${r.serviceNs} ns, journald ${r.journaldNs} ns)`)
        t.equal(r.mainPid[0], r.mainPid[1], `${unit}: one process throughout the round`)
      }
    }
    const median = (name: string, key: 'serviceNs' | 'journaldNs'): number => {
      const values = (rounds[name] ?? []).map((r) => r[key] / r.ok / 1000).sort((a, b) => a - b)
      return values[Math.floor(values.length / 2)] ?? NaN
    }
    const [bare, diceroll] = [median('bare node:http', 'serviceNs'), median('diceroll', 'serviceNs')]
    const [bareJournald, dicerollJournald] = [median('bare node:http', 'journaldNs'), median('diceroll', 'journaldNs')]
    figure('warm keep-alive CPU per request into the journal (emulated: ratios only)',
      `diceroll ${diceroll.toFixed(1)} µs, bare node:http ${bare.toFixed(1)} µs: ${(diceroll / bare).toFixed(2)}× (goal <= 1.3×); ` +
      `journald ${dicerollJournald.toFixed(1)} µs per diceroll request (${bareJournald.toFixed(1)} µs during bare's rounds): ${((diceroll + dicerollJournald) / bare).toFixed(2)}× with it`)

    // Every measured request's line, stored: the lines from 127.0.0.2 after the cursor (an IPv4
    // peer of the units' dual-stack socket is logged as ::ffff:127.0.0.2).
    const served = (rounds.diceroll ?? []).reduce((n, r) => n + r.ok, 0)
    const measuredLine = new RegExp(`"remoteAddress":"(?:::ffff:)?${MEASURED_FROM.replaceAll('.', '\\.')}","msg":"request"}$`)
    const stored = (await journalEntries(vm, cursor, '-u diceroll.service')).filter((entry) => measuredLine.test(entry.MESSAGE)).length
    figure('request lines in the journal', `${stored} of ${served} measured requests (journald's rate limit off for the check)`)
    record('journalCost', { connections: CONNECTIONS, warmRequests: WARM_REQUESTS, seconds: SECONDS, rounds, medianUs: { bare, diceroll, bareJournald, dicerollJournald }, lines: { served, stored } })
    t.equal(stored, served, 'every measured request has its line in the journal')
  })
}

/** keep-alive.mjs's report, or an error that shows what it printed instead. */
function parseLoad(text: string): KeepAliveReport {
  try {
    return JSON.parse(text) as KeepAliveReport
  } catch {
    throw new Error(`test/e2e/guest/keep-alive.mjs printed no report: ${JSON.stringify(text.slice(0, 300))}`)
  }
}

function perRequestUs(ns: number, requests: number): string {
  return (ns / requests / 1000).toFixed(1)
}
