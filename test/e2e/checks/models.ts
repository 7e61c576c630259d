// Both models as installed by the documented command: what systemd runs, holds and counts.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { type Context, LISTENER, PER_CONNECTION, ROLL, SOCKETS, timed, UNIT_FILES } from '../lib/context.js'
import {
  exposure, GUEST_SRC, installCommand, instances, journalAfter, journalCursor, mountPayload, REPO, show, UNINSTALL, waitFor,
} from '../lib/guest.js'
import { flood } from '../lib/flood.js'
import { burstLoad, get, rawExchange } from '../lib/http.js'
import { figure, step } from '../lib/progress.js'

export function models({ vm, guest, port }: Context): void {
  t.test('units: verify is clean, security --offline <= 1.0', async (t) => {
    const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'diceroll-units-'))
    t.teardown(() => fs.rmSync(stage, { recursive: true, force: true }))
    // verify checks that ExecStart= exists, and ExecStart= is the launcher in the prefix: install for
    // real under the stage (--destdir / only keeps systemctl out of it).
    const install = spawnSync('node', ['scripts/install-units.mjs', '--destdir', '/', '--prefix', path.join(stage, 'opt/diceroll'),
      '--unit-dir', path.join(stage, 'etc/systemd/system')], { cwd: REPO, encoding: 'utf8' })
    t.equal(install.status, 0, `staged install: ${install.stderr}`)
    const cwd = path.join(stage, 'etc/systemd/system')
    const verify = spawnSync('systemd-analyze', ['verify', ...UNIT_FILES], { cwd, encoding: 'utf8' })
    t.equal(verify.status, 0, 'verify exits 0')
    t.equal(verify.stdout + verify.stderr, '', 'verify says nothing')
    for (const unit of ['diceroll.service', 'diceroll@.service']) {
      const r = spawnSync('systemd-analyze', ['security', '--offline=true', unit], { cwd, encoding: 'utf8' })
      const score = exposure(r.stdout)
      figure(`security offline ${unit}`, String(score))
      t.ok(score <= 1.0, `${unit}: ${score} <= 1.0`)
    }
  })

  t.test('boot the VM and install with the documented command', async (t) => {
    figure('boot to ssh', `${(await vm.boot()).toFixed(1)} s`)
    figure('guest', await vm.sh('echo "$(uname -r), $(systemctl --version | head -n 1), PID 1 = $(ps -p 1 -o comm=)"'))
    t.match(await vm.sh('systemctl --version'), new RegExp(`^systemd ${guest.systemd}\\b`), `systemd ${guest.systemd}`)
    // The launcher asks glibc for transparent huge pages (scripts/launchers.mjs, MALLOC_TUNABLES):
    // what this guest's kernel does with the request.
    figure('transparent huge pages: enabled, defrag', await vm.sh('cat /sys/kernel/mm/transparent_hugepage/enabled /sys/kernel/mm/transparent_hugepage/defrag | paste -sd "," -'))
    await timed('mount the payload (npm and the project)', () => mountPayload(vm))
    const nodeVersion = await vm.sh(`${guest.node} --version && command -v node`)
    figure('guest node', nodeVersion.replace('\n', ', '))
    t.match(nodeVersion, new RegExp(`\n${guest.node}$`), `npm runs ${guest.node}`)
    const install = installCommand(guest)
    const out = await timed(`guest: ${install}`, () => vm.sh(`cd ${GUEST_SRC} && ${install}`))
    const enable = /^\s*(systemctl enable --now [^\n]+)$/m.exec(out)?.[1] ?? '(none)'
    t.match(enable, `systemctl enable --now ${SOCKETS}`, 'the install tells what to type next')
    t.match(await vm.sh('systemctl cat diceroll.service'), /ExecStart=\/opt\/diceroll\/current\/dist\/diceroll --mode=listener/)
    // The install made the startup snapshot with the guest's node, and the launcher execs that node.
    t.match(await vm.sh('cat /opt/diceroll/current/dist/diceroll'), new RegExp(`^node='${guest.node}'$`, 'm'))
    t.match(await vm.sh('test -s /opt/diceroll/current/dist/diceroll.blob && echo blob'), /^blob$/m)
    await vm.sh(enable)
  })

  t.test('both sockets listen; nothing runs before the first connection', async (t) => {
    for (const socket of SOCKETS.split(' ')) {
      t.match(await show(vm, socket, 'ActiveState', 'SubState'), { ActiveState: 'active', SubState: 'listening' }, socket)
    }
    t.match(await show(vm, 'diceroll.service', 'ActiveState', 'MainPID'), { ActiveState: 'inactive', MainPID: '0' })
    t.same(await instances(vm), [], 'no per-connection instance')
    const listening = await vm.sh('ss -Hltn')
    t.match(listening, /:5000\b/, 'port 5000 is open')
    t.match(listening, /:5001\b/, 'port 5001 is open')
  })

  t.test('listener: the first request starts diceroll.service, later ones reuse its main pid', async (t) => {
    const first = await timed('listener: first request (includes start)', () => get(port(LISTENER), '/roll'))
    t.equal(first.status, 200)
    t.match(first.body, ROLL)
    const started = await show(vm, 'diceroll.service', 'ActiveState', 'MainPID', 'InvocationID')
    t.equal(started.ActiveState, 'active')
    const pid = started.MainPID
    for (let i = 0; i < 5; i++) t.match((await get(port(LISTENER), '/roll?dice=2d6')).body, ROLL)
    t.same((await get(port(LISTENER), '/healthz')).body, '{"status":"ok"}')
    t.same(await show(vm, 'diceroll.service', 'ActiveState', 'MainPID', 'InvocationID'), started, 'same main pid, same invocation')

    const env = await vm.sh(`tr '\\0' '\\n' < /proc/${pid}/environ | grep ^LISTEN_ || true`)
    t.match(env, /^LISTEN_FDS=1$/m, 'exactly one fd passed')
    t.match(env, /^LISTEN_FDNAMES=diceroll-listener.socket$/m, 'and it is its own socket, not diceroll.socket')
    const held = await vm.sh(`ss -Hltnp | grep 'pid=${pid},' || true`)
    t.match(held, /:5000\b/, 'the service holds port 5000')
    t.notMatch(held, /:5001\b/, 'and not port 5001')
    const logs = await vm.sh(`journalctl -u diceroll.service _PID=${pid} -o cat --no-pager`)
    t.match(logs, /"msg":/, 'the app logs to the journal')
  })

  t.test('per-connection: one instance per connection, none left, pure HTTP', async (t) => {
    const before = Number((await show(vm, 'diceroll.socket', 'NAccepted')).NAccepted)
    const reply = await timed('per-connection: one request (includes start)',
      () => rawExchange(port(PER_CONNECTION), 'GET /roll HTTP/1.1\r\nHost: e2e\r\n\r\n'))
    const [head = '', body = ''] = reply.split('\r\n\r\n', 2)
    t.match(head, /^HTTP\/1\.1 200 OK\r\n/)
    t.match(head, /\r\nconnection: close/i)
    t.match(body, ROLL, 'the body is the JSON and nothing else (no log lines)')
    t.equal(Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1]), Buffer.byteLength(body), 'nothing after the body')

    const held = [0, 1, 2].map(() => net.connect({ host: '127.0.0.1', port: port(PER_CONNECTION) }))
    t.ok(await waitFor(60, async () => (await instances(vm)).length === 3), 'three held connections, three instances')
    const names = await instances(vm)
    t.equal(new Set(names).size, 3)
    step(`instances: ${names.join(' ')}`)
    const replies = held.map((socket) => new Promise<string>((resolve) => {
      let data = ''
      socket.setEncoding('latin1').on('data', (d: string) => { data += d }).on('close', () => resolve(data))
      socket.write('GET /healthz HTTP/1.1\r\nHost: e2e\r\n\r\n')
    }))
    for (const r of await Promise.all(replies)) t.match(r, /^HTTP\/1\.1 200 OK[\s\S]*\{"status":"ok"\}$/)
    t.ok(await waitFor(30, async () => (await instances(vm)).length === 0), 'no instance left afterwards')
    t.equal(Number((await show(vm, 'diceroll.socket', 'NAccepted')).NAccepted) - before, 4, 'NAccepted counted 4')
    const journal = await vm.sh("journalctl -u 'diceroll@*' -o cat --no-pager | grep -c '\"msg\":' || true")
    t.ok(Number(journal) >= 4, `the instances' log lines are in the journal (${journal})`)
  })

  t.test('security <= 1.0 live, while both models serve', async (t) => {
    t.equal((await get(port(LISTENER), '/roll')).status, 200)
    const socket = net.connect({ host: '127.0.0.1', port: port(PER_CONNECTION) })
    t.teardown(() => { socket.destroy() })
    t.ok(await waitFor(60, async () => (await instances(vm)).length === 1), 'a held connection has its instance')
    const [instance = ''] = await instances(vm)
    for (const unit of ['diceroll.service', instance]) {
      t.equal((await show(vm, unit, 'ActiveState')).ActiveState, 'active', `${unit} is running`)
      const score = exposure((await vm.ssh(`systemd-analyze security ${unit}`)).stdout)
      figure(`security live ${unit.replace(/@.*/, '@…')}`, String(score))
      t.ok(score <= 1.0, `${unit}: ${score} <= 1.0`)
    }
    const reply = new Promise<string>((resolve) => {
      let data = ''
      socket.setEncoding('latin1').on('data', (d: string) => { data += d }).on('close', () => resolve(data))
    })
    socket.write('GET /roll HTTP/1.1\r\nHost: e2e\r\n\r\n')
    t.match(await reply, /^HTTP\/1\.1 200 OK/, 'the hardened instance still serves')
  })

  t.test('a flood on the per-connection socket stays within MaxConnections=', async (t) => {
    const limits = await show(vm, 'diceroll.socket', 'MaxConnections', 'MaxConnectionsPerSource')
    const max = Number(limits.MaxConnections)
    const perSource = Number(limits.MaxConnectionsPerSource)
    const sources = Array.from({ length: 4 }, (_, i) => `127.0.0.${i + 1}`)
    const perAddress = Math.ceil((max * 1.5) / sources.length)
    const runs = [
      {
        name: `MaxConnections=${max}`, cap: max, what: `${perAddress * sources.length} connections from ${sources.length} addresses`,
        run: () => flood(vm, PER_CONNECTION, perAddress, sources)
      },
      {
        name: `MaxConnectionsPerSource=${perSource}`, cap: perSource, what: `${perSource + 4} connections from one address`,
        run: () => flood(vm, PER_CONNECTION, perSource + 4, ['127.0.0.9'])
      },
    ]
    for (const { name, cap, what, run } of runs) {
      const r = await timed(`flood: ${what}`, run)
      const endings = Object.entries(r.failed).map(([reason, n]) => `, ${n} ended '${reason}'`).join('')
      figure(`flood (${name})`, `${r.attempted} tried: ${r.accepted} accepted, ${r.refused} refused; ` +
        `at most ${r.peakInstances} instances at once; ${r.answered} answered${endings}`)
      t.ok(r.peakInstances <= cap && r.peakConnections <= cap, `${name}: at most ${r.peakInstances} instances at once`)
      t.ok(r.accepted <= cap, `${name}: accepted ${r.accepted}`)
      t.ok(r.refused > 0, `${name}: the excess was refused (${r.refused})`)
      t.equal(r.accepted + r.refused, r.attempted, 'systemd accepted or refused each connection')
      // Under emulation a cold start takes seconds, so a flood can outlast RuntimeMaxSec=: those
      // instances end with 'timeout' (some just after answering). Any other ending is a failure.
      const unanswered = r.accepted - r.answered
      t.ok(unanswered <= (r.failed.timeout ?? 0), `each of ${unanswered} unanswered connections had its instance hit the runtime cap`)
      t.same(Object.keys(r.failed).filter((reason) => reason !== 'timeout'), [], 'no instance failed otherwise')
      t.equal(r.other, 0, 'no client got anything but a 200 response or a plain close')
    }
    t.match(await show(vm, 'diceroll.socket', 'ActiveState', 'SubState', 'Result'), { ActiveState: 'active', SubState: 'listening', Result: 'success' })
    t.match(await rawExchange(port(PER_CONNECTION), 'GET /healthz HTTP/1.1\r\nHost: e2e\r\n\r\n'), /^HTTP\/1\.1 200 OK/, 'still serving')
  })

  t.test('listener: idle exit and re-activation under load lose no request', async (t) => {
    const idle = 3
    await vm.sh('mkdir -p /run/systemd/system/diceroll.service.d && ' +
      `printf '[Service]\\nEnvironment=IDLE_TIMEOUT=${idle}\\n' > /run/systemd/system/diceroll.service.d/e2e.conf && ` +
      'systemctl daemon-reload && systemctl stop diceroll.service')
    t.teardown(() => vm.sh('rm -r /run/systemd/system/diceroll.service.d && systemctl daemon-reload'))
    const cursor = await journalCursor(vm)
    const exited = async (): Promise<boolean> => (await show(vm, 'diceroll.service', 'ActiveState')).ActiveState !== 'active'
    const exits = async (): Promise<number> =>
      (await journalAfter(vm, cursor, '-u diceroll.service')).match(/Deactivated successfully/g)?.length ?? 0

    // The first pause waits for the exit and times it (keep-alive connections must close first);
    // later pauses end just before, at, or just after that moment, so requests race the exit.
    let exitAfter = 0
    const offsets = [0.5, -0.3, 0, 0.3, 1, -0.1, 0.2, 2, 0, 1, 2, 3, 3]
    const tally = await timed('listener: idle-exit cycles under load', () => burstLoad(port(LISTENER), async (cycle) => {
      if (cycle === 0) {
        const started = Date.now()
        if (!await waitFor(idle + 30, exited)) {
          t.fail(`diceroll.service still running ${idle + 30} s after a burst, with --idle-timeout=${idle}`)
          return false
        }
        exitAfter = (Date.now() - started) / 1000
      } else {
        await sleep(Math.max(0, exitAfter + (offsets[cycle - 1] ?? 3)) * 1000)
      }
      return await exits() < 6 && cycle <= offsets.length
    }))
    if (exitAfter === 0) return
    const journal = await journalAfter(vm, cursor, '-u diceroll.service')
    const starts = journal.match(/^Started diceroll\.service/gm)?.length ?? 0
    const stops = journal.match(/Deactivated successfully/gm)?.length ?? 0
    figure('listener idle exit', `${exitAfter.toFixed(1)} s after a burst (--idle-timeout=${idle}, keep-alive clients)`)
    figure('listener load across idle exits', `${tally.ok} ok, ${tally.failed} failed; ${starts} starts, ${stops} clean exits`)
    t.equal(tally.failed, 0, `no failed request: ${tally.errors.slice(0, 5).join('; ')}`)
    t.ok(stops >= 5, `at least 5 idle exits (${stops})`)
    t.ok(starts >= stops, `each exit followed by a socket activation (${starts} starts)`)
    t.match(await show(vm, 'diceroll.service', 'Result', 'NRestarts'), { Result: 'success', NRestarts: '0' })
  })
}

/** Last: stopping the sockets, then the documented uninstall. */
export function socketsAndUninstall({ vm }: Context): void {
  t.test('systemctl stop/start of the sockets', async (t) => {
    const curl = async (guestPort: number): Promise<string> =>
      (await vm.ssh(`curl -s -m 30 -o /dev/null -w '%{http_code}' http://127.0.0.1:${guestPort}/healthz`)).stdout
    for (const [socket, guestPort] of [['diceroll-listener.socket', LISTENER], ['diceroll.socket', PER_CONNECTION]] as const) {
      t.equal(await curl(guestPort), '200', `${socket} serves`)
      await vm.sh(`systemctl stop ${socket}`)
      t.match(await show(vm, socket, 'ActiveState'), { ActiveState: 'inactive' }, `${socket} stopped`)
      t.equal(await curl(guestPort), '000', 'connections are refused')
      if (guestPort === LISTENER) t.match(await show(vm, 'diceroll.service', 'ActiveState'), { ActiveState: 'inactive' }, 'and its service stopped with it')
      await vm.sh(`systemctl start ${socket}`)
      t.match(await show(vm, socket, 'SubState'), { SubState: 'listening' }, `${socket} listens again`)
      t.equal(await curl(guestPort), '200', 'and serves again')
    }
  })

  t.test('the documented uninstall removes everything', async (t) => {
    await vm.sh(`cd ${GUEST_SRC} && ${UNINSTALL}`)
    for (const unit of UNIT_FILES.map((u) => u.replace('@.', '@x.'))) t.match(await show(vm, unit, 'LoadState'), { LoadState: 'not-found' }, `${unit} is gone`)
    t.equal(await vm.sh('ss -Hltn | grep -E ":500[01]\\b" || true'), '', 'nothing listens on 5000/5001')
    t.equal(await vm.sh('ls /opt/diceroll 2>&1 || true'), 'ls: cannot access \'/opt/diceroll\': No such file or directory')
  })
}
