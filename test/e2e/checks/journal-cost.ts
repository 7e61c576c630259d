// Issue #13's warm goal with the request line going where a real host sends it: journald's stream
// socket. diceroll.service as installed against bare node:http (bench/servers/bare-http.cjs, no
// log line), both socket-activated services of the same systemd, the same keep-alive load from
// inside the guest. CPU per request from systemd's own accounting of each service (CPUUsageNSec),
// and journald's beside it: what storing the lines costs the host. The guest is emulated, so
// only the ratios mean anything; figures, never assertions. What is asserted: every request is
// answered, and every request line is in the journal or counted by journald as suppressed.
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { type Context, LISTENER } from '../lib/context.js'
import { GUEST_SRC, journalCursor } from '../lib/guest.js'
import { figure, record, step } from '../lib/progress.js'

const BARE_PORT = 5090
const BARE_UNIT = 'e2e-bare-http'
const CONNECTIONS = 4
// V8 is still optimising the path for the first ~10,000 requests (bench/instructions.mjs), and
// under emulation diceroll answers a few hundred a second: each server is warmed with as many
// requests, however long that takes (at most WARM_SECONDS).
const WARM_REQUESTS = 20_000
const WARM_SECONDS = 120
const SECONDS = 5
const ROUNDS = 3

interface Round { requests: number, ok: number, failed: number, errors: Record<string, number>, serviceNs: number, journaldNs: number, mainPid: [string, string] }

export function journalCost({ vm, guest }: Context): void {
  t.test('warm keep-alive CPU per request, request line into the journal: diceroll.service against bare node:http', async (t) => {
    await vm.sh(`systemd-run --quiet --unit=${BARE_UNIT} --socket-property=ListenStream=127.0.0.1:${BARE_PORT} ${guest.node} ${GUEST_SRC}/bench/servers/bare-http.cjs`)
    t.teardown(() => vm.ssh(`systemctl stop ${BARE_UNIT}.socket ${BARE_UNIT}.service`))
    const servers = [
      { name: 'bare node:http', unit: `${BARE_UNIT}.service`, port: BARE_PORT },
      { name: 'diceroll', unit: 'diceroll.service', port: LISTENER },
    ]
    const load = (port: number, seconds: number, requests = Infinity): string => `${guest.node} ${GUEST_SRC}/test/e2e/guest/keep-alive.mjs ${port} ${CONNECTIONS} ${seconds} ${requests}`
    const cpu = (unit: string): string => `systemctl show --value -p CPUUsageNSec ${unit}`
    // Started and warmed (V8 optimises the hot path in the first thousands of requests) before
    // anything is counted.
    for (const { unit, port } of servers) {
      const warm = JSON.parse(await vm.sh(load(port, WARM_SECONDS, WARM_REQUESTS))) as Round & { seconds: number }
      step(`journal cost warm-up, ${unit}: ${warm.ok} requests in ${warm.seconds.toFixed(1)} s`)
      t.equal(warm.failed, 0, `${unit} warm-up: every request answered (${JSON.stringify(warm.errors)})`)
    }
    const cursor = await journalCursor(vm)
    const rounds: Record<string, Round[]> = {}
    for (let round = 1; round <= ROUNDS; round++) {
      for (const { name, unit, port } of servers) {
        // One ssh command: the readings bracket the load and nothing else the suite does.
        const out = await vm.sh(`pid=$(systemctl show --value -p MainPID ${unit}); s=$(${cpu(unit)}); j=$(${cpu('systemd-journald.service')}); ` +
          `r=$(${load(port, SECONDS)}); echo "$r"; echo "$pid $(systemctl show --value -p MainPID ${unit})"; echo "$(( $(${cpu(unit)}) - s )) $(( $(${cpu('systemd-journald.service')}) - j ))"`)
        const [json = '{}', pids = '', deltas = ''] = out.split('\n')
        const [serviceNs = NaN, journaldNs = NaN] = deltas.split(' ').map(Number)
        const result: Round = { ...JSON.parse(json) as Round, serviceNs, journaldNs, mainPid: pids.split(' ') as [string, string] }
        ;(rounds[name] ??= []).push(result)
        step(`journal cost round ${round}/${ROUNDS}, ${name}: ${result.ok} requests, ${perRequestUs(result.serviceNs, result.ok)} µs each, journald ${perRequestUs(result.journaldNs, result.ok)} µs`)
      }
    }
    for (const { name, unit } of servers) {
      for (const r of rounds[name] ?? []) {
        t.equal(r.failed, 0, `${name}: every request answered (${JSON.stringify(r.errors)})`)
        t.ok(r.ok > 0 && Number.isFinite(r.serviceNs) && r.serviceNs > 0, `${unit}: requests served and CPUUsageNSec counted (${r.ok}, ${r.serviceNs} ns)`)
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

    // The lines themselves: stored, or dropped by journald's rate limit, which says how many it
    // dropped once its interval is over (RateLimitIntervalSec, 30 s by default).
    const served = (rounds.diceroll ?? []).reduce((n, r) => n + r.ok, 0)
    const count = async (): Promise<{ stored: number, suppressed: number }> => {
      await vm.sh('journalctl --sync')
      const stored = Number(await vm.sh(`journalctl -u diceroll.service --cursor '${cursor}' -o cat --no-pager | grep -c '"msg":"request"}$' || true`))
      const notes = await vm.sh(`journalctl --cursor '${cursor}' -o cat --no-pager | grep -o 'Suppressed [0-9]* messages from diceroll.service' || true`)
      const suppressed = notes.split('\n').filter(Boolean).reduce((n, line) => n + Number(/\d+/.exec(line)?.[0] ?? 0), 0)
      return { stored, suppressed }
    }
    let lines = await count()
    if (lines.stored < served) {
      step(`journal: ${lines.stored} of ${served} request lines stored; waiting out journald's rate-limit interval for its count of the rest`)
      await sleep(31_000)
      // journald reports what it suppressed when the service next logs.
      await vm.sh(`${load(LISTENER, 0)} > /dev/null`)
      lines = await count()
    }
    const { stored, suppressed } = lines
    figure('request lines in the journal', `${stored} stored, ${suppressed} suppressed by journald's rate limit, of ${served} measured requests (+${CONNECTIONS} after them, for journald to report its count)`)
    record('journalCost', { connections: CONNECTIONS, warmRequests: WARM_REQUESTS, seconds: SECONDS, rounds, medianUs: { bare, diceroll, bareJournald, dicerollJournald }, lines: { served, stored, suppressed } })
    t.ok(stored + suppressed >= served, `every request line stored or counted as suppressed: ${stored} + ${suppressed} of ${served}`)
  })
}

function perRequestUs(ns: number, requests: number): string {
  return (ns / requests / 1000).toFixed(1)
}
