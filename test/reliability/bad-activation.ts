// Activation environments systemd would never produce, beyond the foundation's cases: a datagram
// socket or a file where a stream socket belongs, and LISTEN_FDS counting more fds than exist.
// Each ends with exit code 6 and one line saying what fd 3 (or 4) is and what to fix.
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import t from 'tap'
import { cleanEnv, MAIN, waitExit } from '../fixtures/run.js'
import { record } from '../fixtures/stress/results.js'

const PASS_FD = join(import.meta.dirname, '../fixtures/stress/pass-fd.py')
const STREAM_ONLY = 'diceroll speaks HTTP over stream sockets, use ListenStream= in the .socket unit'
const SOCKETS_ONLY = 'systemd passes sockets only; check what starts the service'
const NODE_OWN = "not a socket but an anonymous kernel object (probably Node's own, meaning nothing was passed there)"

const cases: Array<[string, string, string, string[], string]> = [
  ['fd 3 is a UDP socket (auto)', 'udp', '1', [], `fd 3 is a UDP socket, not a listening socket: ${STREAM_ONLY}`],
  ['fd 3 is an IPv6 UDP socket (listener)', 'udp6', '1', ['--mode=listener'], `fd 3 is a UDP socket, not a listening socket: ${STREAM_ONLY}`],
  ['fd 3 is a UDP socket (per-connection)', 'udp', '1', ['--mode=per-connection'], `--mode=per-connection needs a connection on fd 3, but it is a UDP socket: ${STREAM_ONLY}`],
  // per-connection checks a socket only once it serves it: a listener must still be refused.
  ['fd 3 is a TCP listener (per-connection)', 'tcp', '1', ['--mode=per-connection'], '--mode=per-connection needs a connection on fd 3, but it is a TCP listener (tcp): the .socket unit has Accept=no, so run --mode=listener'],
  ['fd 3 is a regular file (auto)', 'file', '1', [], `fd 3 is a regular file, not a listening socket: ${SOCKETS_ONLY}`],
  ['fd 3 is a regular file (per-connection)', 'file', '1', ['--mode=per-connection'], `--mode=per-connection needs a connection on fd 3, but it is a regular file: ${SOCKETS_ONLY}`],
  ['LISTEN_FDS=2, one listener passed', 'tcp', '2', [], `fd 4 is ${NODE_OWN}, not a listening socket: ${SOCKETS_ONLY}`],
  ['LISTEN_FDS=1000, one listener passed', 'tcp', '1000', ['--mode=listener'], `fd 4 is ${NODE_OWN}, not a listening socket: ${SOCKETS_ONLY}`],
  ['LISTEN_FDS=1000000000', 'tcp', '1000000000', [],
    'LISTEN_FDS=1000000000 is more file descriptors than diceroll takes (at most 1024): it must be set by systemd (or systemd-socket-activate), not by hand'],
]

for (const [title, kind, count, args, message] of cases) {
  t.test(`${title} → exit code 6`, async (t) => {
    const started = Date.now()
    const child = spawn('python3', [PASS_FD, kind, count, MAIN, ...args], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    const { code, stdout, stderr } = await waitExit(child)
    clearTimeout(timer)
    const ms = Date.now() - started
    t.equal(code, 6, 'exit code 6 (NOTCONFIGURED)')
    t.equal(stdout, '')
    t.equal(stderr, `diceroll: ${message} [DICEROLL_ERR_ACTIVATION]\n`)
    record({
      section: 'Bad activation environments', attack: title, mode: 'both', sent: `LISTEN_FDS=${count} ${args.join(' ')}`.trim(),
      client: '(no client)', service: `exit ${code} after ${ms} ms: ${stderr.trim().slice(10, 70)}…`, ok: code === 6,
    })
  })
}
