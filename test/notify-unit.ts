// createNotifier and loadAddon in-process: what is read from the environment, and the reasons
// given when the addon cannot be used.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { createNotifier, loadAddon } from '../src/systemd/notify.js'

const collect = () => {
  const warnings: string[] = []
  return { warnings, log: { warn: (_details: object, message: string) => void warnings.push(message) } }
}

t.test('unsets NOTIFY_SOCKET and the watchdog variables, so children do not inherit them', async (t) => {
  const env: Record<string, string | undefined> = { NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '3000000', WATCHDOG_PID: '42', KEEP: '1' }
  const { log } = collect()
  t.equal(createNotifier(env, 42, log).watchdogIntervalMs, 1500, 'half of WATCHDOG_USEC, for our pid')
  t.same(env, { KEEP: '1' })
})

t.test('without NOTIFY_SOCKET: disabled, silent, no watchdog', async (t) => {
  const { warnings, log } = collect()
  const notifier = createNotifier({ WATCHDOG_USEC: '1000000' }, 1, log)
  t.same([notifier.enabled, notifier.watchdogIntervalMs, warnings], [false, undefined, []])
  notifier.send('READY=1')
  t.equal(notifier.sendFds('FDSTORE=1\nFDNAME=x', [0]), 'NOTIFY_SOCKET unset', 'and keeps what it cannot store')
})

t.test('a WATCHDOG_USEC that is not a number is ignored, with a warning', async (t) => {
  const { warnings, log } = collect()
  t.equal(createNotifier({ NOTIFY_SOCKET: '@x', WATCHDOG_USEC: '5s' }, 1, log).watchdogIntervalMs, undefined)
  t.same(warnings, ['ignoring WATCHDOG_USEC=5s: not a positive number of microseconds'])
})

t.test('loadAddon says why a file is not the addon', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'diceroll-addon-'))
  const notAddon = join(dir, 'other.js')
  writeFileSync(notAddon, 'module.exports = {}')
  // dlopen(3), not require(): a JavaScript file is no addon.
  t.match(loadAddon(notAddon), /^the native addon .*other\.js does not load \(.*\); rebuild it with "npm rebuild diceroll"$/)
  const broken = join(dir, 'broken.node')
  writeFileSync(broken, 'not a shared object')
  t.match(loadAddon(broken), /^the native addon .*broken\.node does not load \(.*\); rebuild it with "npm rebuild diceroll"$/)
  t.type(loadAddon(undefined), 'object', 'the built addon is found from src/ too')
  t.equal(loadAddon(undefined, dir), 'the native addon build/Release/sd_notify.node is not built (was npm ci run with --ignore-scripts? run "npm rebuild diceroll", or "npx node-gyp rebuild" in the package)')
})

t.test('the addon rejects what is not a NOTIFY_SOCKET address with EINVAL, and names that are too long', async (t) => {
  const addon = loadAddon(undefined)
  if (typeof addon === 'string') throw new Error(addon)
  const { send } = addon
  t.equal(send('relative/path', 'READY=1'), -22)
  t.equal(send('@', 'READY=1'), -22)
  t.equal(send(`/${'x'.repeat(200)}`, 'READY=1'), -36)
  t.throws(() => (send as unknown as (a: number) => number)(1), { message: 'sd_notify: send(address, state) takes two strings' })
  t.throws(() => send('@x', 'FDSTORE=1', new Array<number>(254).fill(0)), { message: 'sd_notify: send(address, state, fds) takes at most 253 fds in an array' })
  t.throws(() => send('@x', 'FDSTORE=1', 3 as unknown as number[]), { message: 'sd_notify: send(address, state, fds) takes at most 253 fds in an array' })
  t.throws(() => send('@x', 'FDSTORE=1', [-1]), { message: 'sd_notify: send(address, state, fds): each fd is a number, 0 or more' })
  t.equal(send('@x', 'FDSTORE=1', [987654]), -9, 'a fd that is not open: EBADF from sendmsg')
  t.equal(addon.socketState(987654), -9, 'socketState: EBADF for a fd that is not open')
  t.throws(() => (addon.socketState as unknown as () => number)(), { message: 'sd_notify: socketState(fd) takes a number' })
})
