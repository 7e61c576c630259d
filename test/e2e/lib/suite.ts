// diceroll under real systemd (PID 1, in a QEMU VM) on one guest: install with the documented
// command, then check both models and the operations an admin runs against systemd's own state.
// One VM boot per guest; the subtests run in order and build on each other. Progress on stderr,
// results in .cache/e2e-results-GUEST.json and .cache/e2e/GUEST/summary.md.
import path from 'node:path'
import t from 'tap'
import { journalCost } from '../checks/journal-cost.js'
import { models, socketsAndUninstall } from '../checks/models.js'
import { observability } from '../checks/observability.js'
import { operations } from '../checks/operations.js'
import { type Context, LISTENER, PER_CONNECTION, timed } from './context.js'
import { buildPayload } from './guest.js'
import type { Guest } from './guests.js'
import { outcome, resultsDir, step, writeSummary } from './progress.js'
import { prepareHost, Vm } from './vm.js'

export async function runSuite(guest: Guest): Promise<void> {
  const dir = resultsDir(guest.name)
  const what = guest.hostNode ? 'node, npm, project' : 'npm, project'
  const vm = new Vm(await timed(`host tools + ${guest.suite} image (cached or built)`, async () => prepareHost(guest)),
    await timed(`payload disk (${what})`, async () => buildPayload(dir, guest)),
    path.join(dir, 'console.log'), [LISTENER, PER_CONNECTION])
  const ctx: Context = { vm, guest, port: (guestPort) => vm.ports[guestPort] ?? 0 }
  let summarized = false
  const summarize = (verdict: string): void => {
    summarized = true
    process.stderr.write(`\n${writeSummary(verdict)}\n`)
  }
  t.afterEach((sub) => { outcome(sub.name, sub.passing()) })
  t.teardown(async () => {
    step('halting the VM')
    await vm.halt(path.join(dir, 'journal.txt'))
    summarize(t.passing() ? 'all passed' : 'FAILURES, see the TAP output')
  })
  // Cut short (tap's --timeout, ^C): still leave the results so far; exiting also ends the VM.
  process.once('exit', () => { if (!summarized) summarize('INTERRUPTED before the end') })
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => process.exit(1))
  models(ctx)
  observability(ctx)
  journalCost(ctx)
  operations(ctx)
  socketsAndUninstall(ctx)
}
