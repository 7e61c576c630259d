import t from 'tap'
import type { Activation } from '../src/systemd/activation.js'
import type { FdInfo } from '../src/systemd/fd-kind.js'
import { planMode, type Probe } from '../src/systemd/mode.js'

// What each fd "is" in these cases; test/fd-kind.ts checks the probe itself on real sockets.
const KINDS: Record<string, FdInfo> = {
  listening: { kind: 'listening', what: 'a TCP listener (tcp)' },
  connected: { kind: 'connected', what: 'a TCP connection' },
  datagram: { kind: 'datagram', what: 'a UDP socket' },
  file: { kind: 'not-socket', what: 'a regular file' },
  tty: { kind: 'not-socket', what: 'a character device (a terminal or /dev/null)' },
  closed: { kind: 'closed', what: 'not open' },
  socket: { kind: 'socket', what: 'a socket of unknown kind' },
}
const probeOf = (byFd: Record<number, keyof typeof KINDS>): Probe => (fd) => KINDS[byFd[fd] ?? 'tty'] as FdInfo

const none: Activation = { fds: [], envPresent: false, whyNone: 'LISTEN_FDS is not set' }
const notOurs: Activation = { fds: [], envPresent: true, whyNone: 'LISTEN_PID=1 is not our pid 2' }
const two: Activation = { fds: [{ fd: 3, name: 'v4' }, { fd: 4, name: 'v6' }], envPresent: true }
const one = (name = 'unknown'): Activation => ({ fds: [{ fd: 3, name }], envPresent: true })

t.test('auto: listeners → listener; one connection → per-connection; stdin socket → per-connection; else standalone', async (t) => {
  t.same(planMode('auto', two, probeOf({ 3: 'listening', 4: 'listening' })), { mode: 'listener', fds: two.fds, stored: [] })
  t.same(planMode('auto', one(), probeOf({ 3: 'listening' })), { mode: 'listener', fds: one().fds, stored: [] })
  t.same(planMode('auto', one('connection'), () => { throw new Error('a named connection needs no probe') }), { mode: 'per-connection', fd: 3 })
  t.same(planMode('auto', one(), probeOf({ 3: 'connected' })), { mode: 'per-connection', fd: 3 })
  t.same(planMode('auto', none, probeOf({ 0: 'connected' })), { mode: 'per-connection', fd: 0 })
  t.same(planMode('auto', none, probeOf({ 0: 'socket' })), { mode: 'per-connection', fd: 0 })
  t.same(planMode('auto', none, probeOf({ 0: 'tty' })), { mode: 'standalone' })
  t.same(planMode('auto', none, probeOf({ 0: 'listening' })), { mode: 'standalone' })
})

t.test('auto with activation variables that are not for us is an error, not a silent standalone', async (t) => {
  t.throws(() => planMode('auto', notOurs, probeOf({})), {
    code: 'DICEROLL_ERR_ACTIVATION', exitCode: 6,
    message: 'socket activation variables are set, but LISTEN_PID=1 is not our pid 2; to run without systemd, unset LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES or pass --mode=standalone',
  })
})

t.test('explicit modes', async (t) => {
  t.same(planMode('standalone', two, probeOf({})), { mode: 'standalone' })
  t.same(planMode('listener', two, probeOf({ 3: 'listening', 4: 'socket' })), { mode: 'listener', fds: two.fds, stored: [] })
  t.same(planMode('per-connection', one(), probeOf({ 3: 'socket' })), { mode: 'per-connection', fd: 3, checkOnceServed: one() })
  t.same(planMode('per-connection', none, probeOf({ 0: 'connected' })), { mode: 'per-connection', fd: 0, checkOnceServed: none })
})

t.test('connections from the fd store are told from listeners by name, and never probed as listeners', async (t) => {
  const withStored: Activation = {
    fds: [{ fd: 3, name: 'http' }, { fd: 4, name: 'keep-alive.7.1' }, { fd: 5, name: 'stored' }, { fd: 6, name: 'keep-alive-old' }],
    envPresent: true,
  }
  const expected = { mode: 'listener', fds: [{ fd: 3, name: 'http' }], stored: withStored.fds.slice(1) }
  // Only fd 3 is a listener: probing 4..6 as listeners would make the start fail.
  t.same(planMode('listener', withStored, probeOf({ 3: 'listening' })), expected)
  t.same(planMode('auto', withStored, probeOf({ 3: 'listening' })), expected, 'auto: stored connections mean the listener model')
  t.same(planMode('auto', { fds: [{ fd: 3, name: 'http' }, { fd: 4, name: 'keep-alive.7.1' }], envPresent: true }, probeOf({ 3: 'listening', 4: 'connected' })).mode, 'listener',
    'not per-connection, though only one fd is a listener')
  t.throws(() => planMode('auto', { fds: [{ fd: 3, name: 'keep-alive.7.1' }], envPresent: true }, probeOf({ 3: 'connected' })), {
    code: 'DICEROLL_ERR_ACTIVATION',
    message: '--mode=listener needs listening sockets from systemd, but only stored connections were passed (keep-alive.7.1); check ListenStream= in the .socket unit',
  })
})

t.test('each unusable activation says what the fd is and how to fix it', async (t) => {
  const cases: [Parameters<typeof planMode>, string][] = [
    [['listener', none, probeOf({})], '--mode=listener needs listening sockets from systemd, but LISTEN_FDS is not set'],
    [['listener', notOurs, probeOf({})], '--mode=listener needs listening sockets from systemd, but LISTEN_PID=1 is not our pid 2'],
    [['listener', one('connection'), probeOf({ 3: 'connected' })], 'fd 3 (name "connection") is a TCP connection, not a listening socket: the .socket unit has Accept=yes, so run --mode=per-connection'],
    [['listener', one(), probeOf({ 3: 'datagram' })], 'fd 3 is a UDP socket, not a listening socket: diceroll speaks HTTP over stream sockets, use ListenStream= in the .socket unit'],
    [['auto', two, probeOf({ 3: 'listening', 4: 'closed' })], 'fd 4 (name "v6") is not open, not a listening socket: LISTEN_FDS counts more fds than were passed (fd 4 is missing); is the process started through a wrapper?'],
    [['auto', one(), probeOf({ 3: 'file' })], 'fd 3 is a regular file, not a listening socket: systemd passes sockets only; check what starts the service'],
    [['per-connection', two, probeOf({})], '--mode=per-connection serves one connection, but systemd passed 2 fds: use Accept=yes in the .socket unit, or --mode=listener for Accept=no'],
    [['per-connection', one(), probeOf({ 3: 'listening' })], '--mode=per-connection needs a connection on fd 3, but it is a TCP listener (tcp): the .socket unit has Accept=no, so run --mode=listener'],
    [['per-connection', none, probeOf({ 0: 'tty' })], '--mode=per-connection needs the connection on stdin (StandardInput=socket) or as fd 3 (LISTEN_FDS=1), but stdin is a character device (a terminal or /dev/null)'],
    [['per-connection', notOurs, probeOf({ 0: 'file' })], '--mode=per-connection needs the connection on stdin (StandardInput=socket) or as fd 3 (LISTEN_FDS=1), but stdin is a regular file; and no fds were passed: LISTEN_PID=1 is not our pid 2'],
  ]
  for (const [args, message] of cases) {
    t.throws(() => planMode(...args), { code: 'DICEROLL_ERR_ACTIVATION', exitCode: 6, message }, message)
  }
})

t.test("a start asks only the look it needs: 'listener' for listeners, 'connection' for stdin, 'socket' for an explicit per-connection fd", async (t) => {
  const asked: [number, string | undefined][] = []
  const recording = (byFd: Record<number, keyof typeof KINDS>): Probe => (fd, depth) => {
    asked.push([fd, depth])
    return KINDS[byFd[fd] ?? 'tty'] as FdInfo
  }
  planMode('listener', two, recording({ 3: 'listening', 4: 'listening' }))
  t.same(asked.splice(0), [[3, 'listener'], [4, 'listener']], 'listeners: getsockopt can answer, no /proc table')
  planMode('auto', one(), recording({ 3: 'listening' }))
  t.same(asked.splice(0), [[3, 'listener'], [3, 'listener']])
  planMode('auto', none, recording({ 0: 'connected' }))
  t.same(asked.splice(0), [[0, 'connection']])
  planMode('per-connection', one(), recording({ 3: 'socket' }))
  t.same(asked.splice(0), [[3, 'socket']])
  t.throws(() => planMode('listener', one(), recording({ 3: 'connected' })))
  t.same(asked.splice(0), [[3, 'listener'], [3, undefined]], 'only a fd that is not a listener gets the full look, for the error')
})
