// Which transport to run, decided from the flags and from what the process was given (the
// rules are documented in docs/activation.md), or an activation error that says how to fix it.
import type { Activation, ListenFd } from './activation.js'
import type { Mode } from '../config.js'
import { activationError, type DicerollError } from '../errors.js'
import type { Depth, FdInfo } from './fd-kind.js'

export type Plan =
  | { mode: 'standalone' }
  | { mode: 'listener'; fds: ListenFd[]; stored: ListenFd[] }
  | PerConnectionPlan

export interface PerConnectionPlan {
  mode: 'per-connection'
  fd: number
  /**
   * Set by --mode=per-connection, which only checked that the fd is a socket so that the usual
   * start reads no /proc table: serveConnection() classifies the fd when it finds no TCP peer,
   * and notAConnection() says what is wrong against this activation.
   */
  checkOnceServed?: Activation
}

/** classifyFd() (fd-kind.ts), or a stand-in in tests. */
export type Probe = (fd: number, depth?: Depth) => FdInfo

const STDIN = 0

/**
 * Connections from systemd's fd store come back in LISTEN_FDS beside the socket unit's listeners,
 * told apart only by name: "keep-alive.*" is what we store, "stored" what systemd calls an
 * entry stored without a name (fd-store.ts checks both). Only a listener keeps a store.
 */
export function isStoredName(name: string): boolean {
  return name === 'stored' || name.startsWith('keep-alive')
}

export function planMode(mode: Mode, activation: Activation, probe: Probe): Plan {
  const stored = activation.fds.filter((entry) => isStoredName(entry.name))
  const listeners = activation.fds.filter((entry) => !isStoredName(entry.name))
  switch (mode) {
    case 'standalone':
      return { mode: 'standalone' }
    case 'listener':
      if (listeners.length === 0) {
        throw activationError(`--mode=listener needs listening sockets from systemd, but ${activation.whyNone ?? `only stored connections were passed (${stored.map((entry) => entry.name).join(', ')}); check ListenStream= in the .socket unit`}`)
      }
      return { mode: 'listener', fds: checkListeners(listeners, probe), stored }
    case 'per-connection':
      return planPerConnection(activation, probe)
    case 'auto':
      return stored.length > 0 ? planMode('listener', activation, probe) : planAuto(activation, probe)
  }
}

function planAuto(activation: Activation, probe: Probe): Plan {
  const [first, ...rest] = activation.fds
  if (first !== undefined) {
    if (rest.length === 0 && (first.name === 'connection' || (probe(first.fd, 'listener').kind !== 'listening' && probe(first.fd).kind === 'connected'))) {
      return { mode: 'per-connection', fd: first.fd }
    }
    return { mode: 'listener', fds: checkListeners(activation.fds, probe), stored: [] }
  }
  if (activation.envPresent) {
    throw activationError(`socket activation variables are set, but ${activation.whyNone}; to run without systemd, unset LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES or pass --mode=standalone`)
  }
  // inetd style (StandardInput=socket): the connection is stdin and there are no LISTEN_* vars.
  const stdin = probe(STDIN, 'connection').kind
  if (stdin === 'connected' || stdin === 'socket') return { mode: 'per-connection', fd: STDIN }
  return { mode: 'standalone' }
}

function planPerConnection(activation: Activation, probe: Probe): Plan {
  const [first, ...rest] = activation.fds
  if (rest.length > 0) {
    throw activationError(`--mode=per-connection serves one connection, but systemd passed ${activation.fds.length} fds: use Accept=yes in the .socket unit, or --mode=listener for Accept=no`)
  }
  const fd = first?.fd ?? STDIN
  const problem = notAConnection(fd, probe(fd, 'socket'), activation)
  if (problem !== undefined) throw problem
  return { mode: 'per-connection', fd, checkOnceServed: activation }
}

/** The error for a per-connection fd (passed, or stdin) that `info` says is not a connection. */
export function notAConnection(fd: number, info: FdInfo, activation: Activation): DicerollError | undefined {
  if (info.kind === 'connected' || info.kind === 'socket') return undefined
  if (fd !== STDIN) return activationError(`--mode=per-connection needs a connection on fd ${fd}, but it is ${info.what}${hint(info, fd)}`)
  const why = activation.envPresent ? `; and no fds were passed: ${activation.whyNone}` : ''
  return activationError(`--mode=per-connection needs the connection on stdin (StandardInput=socket) or as fd 3 (LISTEN_FDS=1), but stdin is ${info.what}${why}`)
}

function checkListeners(fds: ListenFd[], probe: Probe): ListenFd[] {
  for (const entry of fds) {
    // The full probe reads every row of /proc/net/tcp: only for the error message.
    if (probe(entry.fd, 'listener').kind === 'listening') continue
    const info = probe(entry.fd)
    if (info.kind !== 'listening' && info.kind !== 'socket') {
      const named = entry.name === 'unknown' ? '' : ` (name "${entry.name}")`
      throw activationError(`fd ${entry.fd}${named} is ${info.what}, not a listening socket${hint(info, entry.fd)}`)
    }
  }
  return fds
}

function hint(info: FdInfo, fd: number): string {
  switch (info.kind) {
    case 'connected':
      return ': the .socket unit has Accept=yes, so run --mode=per-connection'
    case 'listening':
      return ': the .socket unit has Accept=no, so run --mode=listener'
    case 'datagram':
      return ': diceroll speaks HTTP over stream sockets, use ListenStream= in the .socket unit'
    case 'closed':
      return `: LISTEN_FDS counts more fds than were passed (fd ${fd} is missing); is the process started through a wrapper?`
    default:
      return ': systemd passes sockets only; check what starts the service'
  }
}
