// What an admin reads from systemd: the app's Status: line, log levels in the journal, and the
// watchdog acting on a frozen main process.
import t from 'tap'
import { type Context, LISTENER, PER_CONNECTION } from '../lib/context.js'
import { journalAfter, journalCursor, journalEntries, show, waitFor } from '../lib/guest.js'
import { get, rawExchange } from '../lib/http.js'
import { figure, record, step } from '../lib/progress.js'

// pino's level numbers and the syslog priority each must be stored with (sd-daemon(3)).
const PRIORITY: Record<number, string> = { 10: '7', 20: '7', 30: '6', 40: '4', 50: '3', 60: '2' }
const LEVEL_NAME: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' }

export function observability({ vm, port }: Context): void {
  t.test('systemctl status diceroll.service shows the app\'s Status: line', async (t) => {
    t.equal((await get(port(LISTENER), '/roll')).status, 200)
    // The app sends STATUS= at most once a second: wait for the one that counts this request.
    let status = ''
    await waitFor(10, async () => {
      status = (await vm.ssh('systemctl status --no-pager diceroll.service')).stdout
      return /^\s*Status: "serving \d+ connections?, [1-9]\d* requests/m.test(status)
    })
    const line = /^\s*Status: .*$/m.exec(status)?.[0]?.trim() ?? '(none)'
    figure('systemctl status', line)
    t.match(status, /^\s*Status: "serving \d+ connections?, [1-9]\d* requests/m, 'the app\'s STATUS= line')
    t.match(status, /^\s*Active: active \(running\)/m)
  })

  t.test('journalctl -p warning lists the app\'s warnings, -p info its request lines; PRIORITY by level', async (t) => {
    const cursor = await journalCursor(vm)
    t.equal((await get(port(LISTENER), '/healthz')).status, 200)
    // A client that sends nothing: the per-connection instance answers 408 at its deadline and warns.
    const silent = await rawExchange(port(PER_CONNECTION), '')
    t.match(silent, /^HTTP\/1\.1 408 /, 'the silent client got a 408')
    // journald may store a line seconds after the client has its answer, under emulation:
    // --sync makes it store what was written before the call.
    // The whole journal first, as the issue's `journalctl -p warning` reads it.
    let warnings = ''
    const listed = await waitFor(60, async () => {
      await vm.sh('journalctl --sync')
      return /request deadline passed/.test(warnings = await journalAfter(vm, cursor, '-p warning'))
    })
    figure('journalctl -p warning lists the deadline warning', listed ? 'yes' : 'no')
    t.match(warnings, /"msg":"request deadline passed/, '-p warning shows the deadline warning')
    t.notMatch(warnings, /"msg":"request"/, 'and no request line')
    t.match(await journalAfter(vm, cursor, "-u 'diceroll*' -p warning"), /"msg":"request deadline passed/, "and so does -u 'diceroll*' -p warning")
    const info = (await journalAfter(vm, cursor, "-u 'diceroll*' -p info")).split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { msg?: string, url?: string })
    t.ok(info.some((line) => line.msg === 'request' && line.url === '/healthz'), '-p info shows the request line')

    // As stored: each line's PRIORITY against the pino level in its JSON.
    const stored: Record<string, string[]> = {}
    for (const entry of await journalEntries(vm, cursor, "-u 'diceroll*'", ['PRIORITY'])) {
      if (!entry.MESSAGE.startsWith('{')) continue
      const level = (JSON.parse(entry.MESSAGE) as { level?: number }).level ?? 0
      const name = LEVEL_NAME[level] ?? String(level)
      stored[name] = [...new Set([...(stored[name] ?? []), (entry.PRIORITY as string | undefined) ?? '?'])]
    }
    figure('journal PRIORITY by level', Object.entries(stored).map(([name, p]) => `${name} ${p.join('/')}`).join(', '))
    record('journalPriority', stored)
    t.same(stored.warn, [PRIORITY[40]], 'warn is stored at PRIORITY=4')
    t.same(stored.info, [PRIORITY[30]], 'info is stored at PRIORITY=6')
    for (const [name, priorities] of Object.entries(stored)) {
      const level = Number(Object.entries(LEVEL_NAME).find(([, n]) => n === name)?.[0])
      t.same(priorities, [PRIORITY[level]], `every ${name} line at PRIORITY=${PRIORITY[level]}`)
    }
  })

  t.test('watchdog: a frozen main process is killed as a watchdog timeout and restarted; the socket serves again', async (t) => {
    const dropIn = '/run/systemd/system/diceroll.service.d/e2e-watchdog.conf'
    await vm.sh(`mkdir -p ${dropIn.replace(/[^/]+$/, '')} && printf '[Service]\\nWatchdogSec=4\\n' > ${dropIn} && systemctl daemon-reload && systemctl restart diceroll.service`)
    t.teardown(() => vm.sh(`rm ${dropIn} && systemctl daemon-reload && systemctl restart diceroll.service`))
    const before = await show(vm, 'diceroll.service', 'MainPID', 'NRestarts', 'WatchdogUSec')
    t.equal(before.WatchdogUSec, '4s', 'the drop-in applies')
    const cursor = await journalCursor(vm)
    await vm.sh(`kill -STOP ${before.MainPID}`)
    step(`froze main pid ${before.MainPID} with SIGSTOP`)
    const started = Date.now()
    const restarted = await waitFor(90, async () => {
      const now = await show(vm, 'diceroll.service', 'MainPID', 'ActiveState')
      return now.ActiveState === 'active' && now.MainPID !== '0' && now.MainPID !== before.MainPID
    })
    t.ok(restarted, 'a new main process runs')
    figure('watchdog: frozen to restarted', `${((Date.now() - started) / 1000).toFixed(1)} s (WatchdogSec=4)`)
    const journal = await journalAfter(vm, cursor, '-u diceroll.service')
    t.match(journal, /Watchdog timeout/, 'systemd saw the watchdog timeout')
    t.match(journal, /Failed with result 'watchdog'/, 'and failed the service for it')
    const after = await show(vm, 'diceroll.service', 'NRestarts')
    t.equal(Number(after.NRestarts), Number(before.NRestarts) + 1, 'Restart=on-failure restarted it once')
    t.equal((await get(port(LISTENER), '/healthz')).body, '{"status":"ok"}', 'the socket serves again')
  })
}
