// The warm goal with the request line going into journald's stream socket, which only the VM
// suite can measure (a real systemd and journald; test/e2e/checks/journal-cost.ts). The bench
// quotes the last VM run's figures beside its own, dated, from .cache/e2e-results-GUEST.json.
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fmt, table } from './stats.mjs'

const GUESTS = ['debian-12', 'debian-13']

/** The section's lines: a table when a VM run left its figures, else how to get them. */
export function journalSection(root = resolve(import.meta.dirname, '../..')) {
  const runs = GUESTS.map((guest) => readRun(join(root, `.cache/e2e-results-${guest}.json`), guest)).filter(Boolean)
  const md = ['### Into journald itself (the VM suite)', '']
  if (runs.length === 0) {
    md.push('The goal names journald\'s stream socket as a sink too. Only a real systemd and journald have one: `npm run test:e2e` measures it in its QEMU guests (test/e2e/checks/journal-cost.ts), and the next bench run quotes those figures here.', '')
    return md
  }
  md.push(`From the last \`npm run test:e2e\` run (test/e2e/checks/journal-cost.ts), not this one: diceroll.service as installed, its request line going to journald, against bare \`node:http\` as a socket-activated service of the same systemd in diceroll.service's seccomp sandbox, with the same keep-alive load from inside the guest (${plan(runs[0])}, alternating). CPU per request from systemd's own accounting of each service (\`CPUUsageNSec\`), and journald's beside it: what storing each line costs the host (its rate limit off for the measurement, so that it stores every line). Without KVM (as on the machine that wrote these docs) the guest is emulated by QEMU TCG, which slows JIT code, syscalls and the kernel by different factors: compare the ratios within a row, not the µs with the tables above. V8 also takes longer to settle there: where diceroll's figure still falls from round to round (the rounds are in .cache/e2e-results-GUEST.json), its ratio is an upper bound; journald's per-line figure is the steadier one.`, '')
  md.push(table(['guest (VM run)', 'diceroll µs/request', 'bare `node:http` µs/request', 'diceroll ÷ bare (goal ≤ 1.3×)', 'journald µs per diceroll line', '(diceroll + journald) ÷ bare', 'request lines stored / measured'],
    runs.map((r) => [r.label, fmt(r.diceroll, 0), fmt(r.bare, 0), `${fmt(r.diceroll / r.bare, 2)}×`, fmt(r.journald, 0), `${fmt((r.diceroll + r.journald) / r.bare, 2)}×`, `${r.lines.stored} / ${r.lines.served}`])), '')
  return md
}

function readRun(file, guest) {
  if (!existsSync(file)) return undefined
  let run
  try {
    run = JSON.parse(readFileSync(file, 'utf8'))
  } catch {
    return undefined
  }
  const cost = run.results?.journalCost
  if (!cost?.medianUs || !cost.lines) return undefined
  const node = String(run.figures?.['guest node'] ?? '').split(',')[0]
  const systemd = /systemd \d+/.exec(String(run.figures?.guest ?? ''))?.[0] ?? ''
  const when = [String(run.finished).slice(0, 10), run.verdict === 'all passed' ? '' : `run verdict: ${run.verdict}`].filter(Boolean).join('; ')
  // JSON writes a NaN or Infinity median as null.
  const number = (value) => Number(value ?? NaN)
  return {
    label: `${guest} (${[systemd, node && `Node ${node.replace(/^v/, '')}`].filter(Boolean).join(', ')}; ${when})`,
    diceroll: number(cost.medianUs.diceroll),
    bare: number(cost.medianUs.bare),
    journald: number(cost.medianUs.dicerollJournald),
    lines: cost.lines,
    connections: cost.connections,
    seconds: cost.seconds,
    warmRequests: cost.warmRequests,
  }
}

function plan(run) {
  return `${run.connections} connections, ${fmt(run.warmRequests, 0)} requests of warm-up each, then rounds of ${run.seconds} s`
}
