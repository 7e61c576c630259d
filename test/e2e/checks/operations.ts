// The operations an admin runs on a serving host, under steady load: restarts, the documented
// install run again (an upgrade), and a rollback. No client may see any of them.
import net from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { type Context, LISTENER, PER_CONNECTION, timed } from '../lib/context.js'
import { GUEST_SRC, installCommand, instances, journalAfter, journalCursor, journalEntries, ROLLBACK, show, waitFor } from '../lib/guest.js'
import { get } from '../lib/http.js'
import { describe, type LoadReport, startLoad } from '../lib/load.js'
import { figure, record, step } from '../lib/progress.js'
import type { Vm } from '../lib/vm.js'

const RESTARTS = 5
const SETTLE_MS = 3000
// Every per-connection request starts a Node process, seconds of CPU under emulation: one
// client at about a request a second keeps the port under load without starving the install.
const PER_CONNECTION_PAUSE_MS = 2000

/** Journal lines after `cursor` that say a diceroll unit failed or could not exec. */
async function failures(vm: Vm, cursor: string): Promise<string[]> {
  const journal = await journalAfter(vm, cursor, "-u 'diceroll*'")
  return journal.split('\n').filter((line) => /Failed with result|status=203|code=exited, status=[1-9]/.test(line))
}

/**
 * Where each restart's time went, from systemd's own journal lines for the unit: SIGTERM to the
 * old process gone ("Stopping" → "Stopped"), and the new one's start until READY=1 ("Starting"
 * → "Started"). A new connection waits through both.
 */
async function restartPhases(vm: Vm, cursor: string): Promise<Array<{ stopMs: number, startMs: number }>> {
  const marks = (await journalEntries(vm, cursor, '-u diceroll.service'))
    .map((entry) => ({ at: Number(entry.__REALTIME_TIMESTAMP) / 1000, what: /^(Stopping|Stopped|Starting|Started) /.exec(entry.MESSAGE)?.[1] }))
    .filter((mark) => mark.what !== undefined)
  const phases: Array<{ stopMs: number, startMs: number }> = []
  let at: Partial<Record<string, number>> = {}
  for (const mark of marks) {
    at[mark.what as string] = mark.at
    if (mark.what === 'Started' && at.Stopping !== undefined && at.Stopped !== undefined && at.Starting !== undefined) {
      phases.push({ stopMs: Math.round(at.Stopped - at.Stopping), startMs: Math.round(mark.at - at.Starting) })
      at = {}
    }
  }
  return phases
}

/** The release directory the listener's main process runs from, read from the kernel's map of
 *  its native addon (a path through a symlink shows resolved; a deleted one shows "(deleted)"). */
async function listenerRelease(vm: Vm): Promise<string> {
  const pid = (await show(vm, 'diceroll.service', 'MainPID')).MainPID
  const mapped = await vm.sh(`grep -m 1 -o '/[^ ]*\\.node\\( (deleted)\\)\\?$' /proc/${pid}/maps || true`)
  return mapped.replace(/\/build\/Release\/[^/]+$/, '') || `(no addon mapped by pid ${pid})`
}

/** The release a new per-connection instance runs from: the dist/ its launcher exec'd node with. */
async function instanceRelease(vm: Vm, guestPort: number, hostPort: number): Promise<string> {
  const socket = net.connect({ host: '127.0.0.1', port: hostPort })
  try {
    if (!await waitFor(60, async () => (await instances(vm)).length === 1)) return '(no instance started)'
    const [instance = ''] = await instances(vm)
    // Until systemd's child has exec'd the launcher and the launcher node, the command line is not node's.
    let args: string[] = []
    const dist = (arg: string): boolean => /\/dist\/(diceroll[^/]*\.blob|launch\.cjs)$/.test(arg)
    await waitFor(30, async () => {
      const pid = (await show(vm, instance, 'MainPID')).MainPID
      args = (await vm.ssh(`tr '\\0' '\\n' < /proc/${pid}/cmdline`)).stdout.split('\n')
      return args.some(dist)
    })
    const file = args.find(dist)
    if (!file) return `(no dist/ in the command line of ${instance}: ${args.join(' ')})`
    return (await vm.sh(`readlink -f ${file.replace(/\/[^/]+$/, '')}`)).replace(/\/dist$/, '')
  } finally {
    socket.destroy()
    await waitFor(30, async () => (await instances(vm)).length === 0)
    step(`(port ${guestPort} instance checked)`)
  }
}

const longestWait = (report: LoadReport, kind: string): number =>
  Math.max(0, ...Object.entries(report.clients).filter(([name]) => name.endsWith(kind)).map(([, c]) => c.maxWaitMs))

export function operations({ vm, guest, port }: Context): void {
  let released = ''
  let upgraded = ''

  t.test(`${RESTARTS} × systemctl restart diceroll.service under keep-alive and new-connection load: no failed request`, async (t) => {
    // The reference for the waits: a cold first response, timed by a client in the guest.
    await vm.sh('systemctl stop diceroll.service')
    const coldMs = Number(await vm.sh(`curl -s -o /dev/null -m 60 -w '%{time_total}' http://127.0.0.1:${LISTENER}/roll`)) * 1000
    const cursor = await journalCursor(vm)
    const load = await startLoad(vm, [{ port: LISTENER, keepAlive: 3, newConnection: 2 }])
    await sleep(SETTLE_MS)
    const pids = new Set([(await show(vm, 'diceroll.service', 'MainPID')).MainPID])
    for (let i = 1; i <= RESTARTS; i++) {
      await timed(`restart ${i}/${RESTARTS}`, () => vm.sh('systemctl restart diceroll.service'))
      pids.add((await show(vm, 'diceroll.service', 'MainPID')).MainPID)
      await sleep(SETTLE_MS)
    }
    const report = await load.stop()
    const waitMs = longestWait(report, 'new-connection')
    const phases = await restartPhases(vm, cursor)
    figure(`${RESTARTS} restarts under load`, describe(report))
    figure('longest wait of a new connection (restarts)', `${waitMs} ms; cold first response ${coldMs.toFixed(0)} ms (${(waitMs / coldMs).toFixed(2)}×)`)
    figure('each restart: stop / start to READY (systemd\'s journal)', phases.map((p) => `${p.stopMs}/${p.startMs} ms`).join(', '))
    record('restarts', {
      restarts: RESTARTS, coldFirstResponseMs: Math.round(coldMs), longestNewConnectionWaitMs: waitMs,
      longestKeepAliveWaitMs: longestWait(report, 'keep-alive'), phases, load: report
    })
    t.equal(report.failed, 0, `no failed request (${describe(report)})`)
    t.ok(report.clients[`${LISTENER} keep-alive`]?.ok && report.clients[`${LISTENER} new-connection`]?.ok, 'both kinds of client were served')
    t.equal(phases.length, RESTARTS, 'systemd logged the stop and the start of each restart')
    t.equal(pids.size, RESTARTS + 1, `${RESTARTS} restarts, each a new main process`)
    t.same(await failures(vm, cursor), [], 'no failed result in the journal')
  })

  t.test('the documented install again, under load on both ports, then a restart: no failed request, no failed instance', async (t) => {
    // The listener may have idled out (or never started, in a --grep run): start it to see its release.
    await vm.sh(`curl -s -o /dev/null -m 60 http://127.0.0.1:${LISTENER}/healthz`)
    released = await listenerRelease(vm)
    const cursor = await journalCursor(vm)
    const load = await startLoad(vm, [{ port: LISTENER, keepAlive: 2, newConnection: 2 }, { port: PER_CONNECTION, keepAlive: 0, newConnection: 1, pauseMs: PER_CONNECTION_PAUSE_MS }])
    await sleep(SETTLE_MS)
    const install = installCommand(guest)
    await timed(`upgrade under load: ${install}`, () => vm.sh(`cd ${GUEST_SRC} && ${install}`))
    await sleep(SETTLE_MS)
    await timed('restart after the upgrade', () => vm.sh('systemctl restart diceroll.service'))
    await sleep(SETTLE_MS)
    const report = await load.stop()
    upgraded = await listenerRelease(vm)
    figure('upgrade under load', describe(report))
    figure('listener release before / after the upgrade', `${released} / ${upgraded}`)
    record('upgrade', { releaseBefore: released, releaseAfter: upgraded, load: report })
    t.equal(report.failed, 0, `no failed request (${describe(report)})`)
    t.ok(report.clients[`${PER_CONNECTION} new-connection`]?.ok, 'the per-connection port was served throughout')
    t.same(await failures(vm, cursor), [], 'no instance with a failed result in the journal')
    t.equal(await vm.sh("systemctl list-units --failed --plain --no-legend 'diceroll*'"), '', 'no failed unit')
    t.not(upgraded, released, 'the listener runs the new release after the restart')
  })

  t.test('rollback: one command, then both models serve from the old release', async (t) => {
    const cursor = await journalCursor(vm)
    await timed(`rollback: ${ROLLBACK}`, () => vm.sh(`cd ${GUEST_SRC} && ${ROLLBACK}`))
    await vm.sh('systemctl restart diceroll.service')
    t.equal((await get(port(LISTENER), '/healthz')).body, '{"status":"ok"}', 'the listener serves')
    const listener = await listenerRelease(vm)
    const instance = await instanceRelease(vm, PER_CONNECTION, port(PER_CONNECTION))
    figure('release after the rollback (listener, per-connection)', `${listener}, ${instance}; old ${released}, new ${upgraded}`)
    record('rollback', { listener, perConnection: instance, old: released, new: upgraded })
    t.not(released, upgraded, 'the upgrade made a new release to roll back from')
    t.equal(listener, released, 'the listener runs the old release')
    t.equal(instance, released, 'a per-connection instance runs the old release')
    t.same(await failures(vm, cursor), [], 'no failed result in the journal')
  })
}
