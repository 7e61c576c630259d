// systemd's file descriptor store, for connections. On a stop, idle keep-alive connections are
// handed to PID 1 (FDSTORE=1 with the socket as SCM_RIGHTS) instead of closed; on a restart the
// next instance finds them in LISTEN_FDS, serves them and removes them from the store. The client
// sees nothing: its socket never closed. docs/lifecycle.md has the rules and the trade-offs.
import { closeSync } from 'node:fs'
import { Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'
import type { ListenFd } from './activation.js'
import { classifyFd, SOCKET_STATE, type FdKind } from './fd-kind.js'
import { loadAddon, type Notifier } from './notify.js'
import { serveSocket } from '../http/accept.js'

/**
 * FDNAME of a stored connection: "keep-alive.<pid>.<n>", unique so that FDSTOREREMOVE=1, which
 * removes every fd of a name, removes only this one. Valid per sd_pid_notify_with_fds(3): printable
 * ASCII, no ':', at most 255 characters.
 */
export const STORED_NAME = /^keep-alive\.\d+\.\d+$/

export interface FdStoreLog {
  info(details: object, message: string): void
  warn(details: object, message: string): void
}

export interface FdStore {
  /** FileDescriptorStoreMax=: PID 1 drops what is sent beyond it, so we stop there. */
  readonly max: number
  /** Sends the socket's fd to the store; false (once warned) when it could not be queued. */
  store(socket: Socket): boolean
}

/** The store, when systemd keeps one for us: NOTIFY_SOCKET, the addon, FileDescriptorStoreMax= > 0. */
export function createFdStore(notifier: Notifier, max: number, pid: number, log: FdStoreLog): FdStore | undefined {
  if (!notifier.enabled || max <= 0) return undefined
  let sequence = 0
  let warned = false
  return {
    max,
    store(socket) {
      const fd = (socket as Socket & { _handle?: { fd?: number } | null })._handle?.fd
      /* c8 ignore next: a socket still in our table has its handle; this is the belt to it */
      if (typeof fd !== 'number' || fd < 0) return false
      const name = `keep-alive.${pid}.${++sequence}`
      const why = notifier.sendFds(`FDSTORE=1\nFDNAME=${name}`, [fd])
      if (why === undefined) return true
      if (!warned) {
        warned = true
        log.warn({ errno: why }, `cannot hand a connection to systemd's fd store: ${why}; draining the rest here instead`)
      }
      return false
    },
  }
}

/**
 * Serves the connections a previous instance stored, as if just accepted, and removes each from
 * the store. A fd that is not a connected stream socket, or a name we never store, gets one warning,
 * is closed and skipped: a bad entry must never stop the start. Returns how many were taken.
 */
export function takeStored(app: FastifyInstance, stored: readonly ListenFd[], notifier: Notifier, log: FdStoreLog, override?: string): number {
  const addon = stored.length > 0 ? loadAddon(override) : undefined
  const stateOf = typeof addon === 'object' ? addon.socketState : stateFromProc
  let taken = 0
  for (const { fd, name } of stored) {
    // Removed whatever it is: left there, a bad entry would come back at every start.
    notifier.send(`FDSTOREREMOVE=1\nFDNAME=${name}`)
    const problem = STORED_NAME.test(name) ? problemWith(stateOf(fd)) : 'its name is not one diceroll stores (keep-alive.<pid>.<n>)'
    const socket = problem === undefined ? wrap(fd) : problem
    if (typeof socket === 'string') {
      log.warn({ fd, fdName: name }, `skipping stored fd ${fd} (name "${name}"): ${socket}; closed it`)
      try {
        closeSync(fd)
        /* c8 ignore next 3: systemd passes only open fds; this is for a LISTEN_FDS that lies */
      } catch {
        // Already not open: nothing to close.
      }
      continue
    }
    serveSocket(app, socket)
    taken++
  }
  if (taken > 0) log.info({ connections: taken }, `took ${taken} connections from systemd's fd store`)
  return taken
}

function wrap(fd: number): Socket | string {
  try {
    const socket = new Socket({ fd, readable: true, writable: true, allowHalfOpen: true })
    socket.setNoDelay(true)
    return socket
    /* c8 ignore next 3: only without the addon, for a socket /proc/net cannot see (another namespace) */
  } catch (error) {
    return `node:net cannot serve it (${(error as Error).message})`
  }
}

function problemWith(state: number): string | undefined {
  switch (state) {
    case SOCKET_STATE.CONNECTED_STREAM:
      return undefined
    case SOCKET_STATE.LISTENING:
      return 'it is a listening socket, not a connection'
    case SOCKET_STATE.NOT_STREAM:
      return 'it is not a stream socket (datagram?)'
    /* c8 ignore next 2: an unconnected stream socket polls POLLHUP, so PID 1 drops it before a start */
    case SOCKET_STATE.NOT_CONNECTED:
      return 'it is a socket that is not connected'
    case SOCKET_STATE.NOT_SOCKET:
      return 'it is not a socket'
    /* c8 ignore next 2: a negative errno, EBADF for a LISTEN_FDS that counts more fds than were passed */
    default:
      return 'it is not open'
  }
}

/**
 * Without the addon, /proc/net says what it can. A socket it does not list (made in another
 * network namespace) is taken on trust: node:net then refuses what it cannot wrap.
 */
function stateFromProc(fd: number): number {
  const states: Record<FdKind, number> = {
    connected: SOCKET_STATE.CONNECTED_STREAM,
    socket: SOCKET_STATE.CONNECTED_STREAM,
    listening: SOCKET_STATE.LISTENING,
    datagram: SOCKET_STATE.NOT_STREAM,
    'not-socket': SOCKET_STATE.NOT_SOCKET,
    closed: -9,
  }
  return states[classifyFd(fd).kind]
}
