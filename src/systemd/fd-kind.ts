// What an inherited file descriptor is: a listening socket, a connection, a datagram socket,
// something else, or nothing. Node has no getsockopt(), so we look the socket's inode up in
// /proc/net, read-only, without wrapping the fd in a handle that would own and close it; when
// the caller only needs to know that it has the kind it wants, the addon's getsockopt() says so.
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs'
import { loadAddon } from './notify.js'

export type FdKind = 'closed' | 'not-socket' | 'listening' | 'connected' | 'datagram' | 'socket'

export interface FdInfo {
  kind: FdKind
  /** Human words for error messages: "a TCP listener", "a regular file", ... */
  what: string
}

/**
 * How closely classifyFd() looks at a socket:
 * - 'full' reads every table it needs; /proc/net/tcp has a row for every TCP socket of the host,
 *   TIME_WAIT included, so on a busy host that is a cost every start would pay;
 * - 'quick' is for callers that take any socket but a listener: the kernel lists a table's
 *   listeners first, so it reads only that block, and a socket found in the small tables gets
 *   the full look;
 * - 'socket' only says that it is a socket, for the per-connection transport, which classifies
 *   the fd itself once it holds it and finds no TCP peer (a peer address proves a connection);
 * - 'listener' and 'connection' are 'quick' for a caller that wants that one kind: with the
 *   addon's getsockopt() (`socketState`), that kind is told without reading /proc, and only
 *   another kind is looked up there, for the words of the error. Reading a TCP table costs the
 *   same however few sockets it lists: the kernel walks its whole connection hash, which grows
 *   with the host's memory (5.6 ms a read with 24 GiB), and a listener paid that at every start.
 */
export type Depth = 'full' | 'quick' | 'socket' | 'listener' | 'connection'

/** What socketState() in native/sd_notify.c answers; negative numbers are errnos. */
export const SOCKET_STATE = { CONNECTED_STREAM: 0, LISTENING: 1, NOT_STREAM: 2, NOT_CONNECTED: 3, NOT_SOCKET: 4 } as const

export interface ClassifyOptions {
  /** The addon's socketState(): getsockopt(SO_ACCEPTCONN) and getpeername() on the fd; undefined: no addon. */
  socketState?: (fd: number) => number | undefined
  /** For tests: the file that says whether there is any IPv6 TCP socket. */
  sockstat6?: string
}

const TCP_LISTEN = '0A'
const UNIX_ACCEPTCON = 0x10000
const UNIX_STREAM_TYPES = new Set(['0001', '0005'])
const SMALL_TABLES = ['unix', 'udp', 'udp6', 'raw', 'raw6']
const NOT_LISTENING: FdInfo = { kind: 'socket', what: 'a socket that is not a TCP listener' }
const SERVED_LATER: FdInfo = { kind: 'socket', what: 'a socket, checked once served' }
/** The kind each depth wants, as socketState() tells it, and what it is then. */
const WANTED: Partial<Record<Depth, { state: number; info: FdInfo }>> = {
  listener: { state: SOCKET_STATE.LISTENING, info: { kind: 'listening', what: 'a listening socket' } },
  connection: { state: SOCKET_STATE.CONNECTED_STREAM, info: { kind: 'connected', what: 'a connected stream socket' } },
}

export function classifyFd(fd: number, depth: Depth = 'full', { socketState, sockstat6 }: ClassifyOptions = {}): FdInfo {
  let stat
  try {
    stat = fstatSync(fd)
  } catch {
    return { kind: 'closed', what: 'not open' }
  }
  if (!stat.isSocket()) return { kind: 'not-socket', what: describeNonSocket(stat) }
  const inode = String(stat.ino)
  if (depth === 'socket') return SERVED_LATER
  const wanted = WANTED[depth]
  if (wanted !== undefined && socketState !== undefined && socketState(fd) === wanted.state) return wanted.info
  return (depth === 'full' ? undefined : quickLook(inode, sockstat6)) ?? fullLook(inode)
}

/**
 * classifyFd() with the addon's socketState(), loaded on the first socket a 'listener' or
 * 'connection' look meets (a unit's main process loads it anyway, for sd_notify); without the
 * addon, /proc alone, as before. `addonPath` is DICEROLL_NOTIFY_ADDON (notify.ts).
 */
export function fdProbe(addonPath?: string): (fd: number, depth?: Depth) => FdInfo {
  let socketState: ((fd: number) => number) | null | undefined
  const lazySocketState = (fd: number): number | undefined => {
    if (socketState === undefined) {
      const addon = loadAddon(addonPath)
      socketState = typeof addon === 'object' ? addon.socketState : null
    }
    return socketState?.(fd)
  }
  return (fd, depth) => classifyFd(fd, depth, { socketState: lazySocketState })
}

/** A TCP listener, or not a listener at all; undefined when only the full look can tell. */
function quickLook(inode: string, sockstat6?: string): FdInfo | undefined {
  for (const table of hasTcp6(sockstat6) ? ['tcp', 'tcp6'] : ['tcp']) {
    if (isListener(`/proc/net/${table}`, inode)) return { kind: 'listening', what: `a TCP listener (${table})` }
  }
  return SMALL_TABLES.some((table) => lists(tableText(`/proc/net/${table}`), inode)) ? undefined : NOT_LISTENING
}

function fullLook(inode: string): FdInfo {
  for (const table of ['tcp', 'tcp6']) {
    const row = findRow(table, 9, inode)
    if (row !== undefined) {
      if (row[3] === TCP_LISTEN) return { kind: 'listening', what: `a TCP listener (${table})` }
      return { kind: 'connected', what: 'a TCP connection' }
    }
  }
  for (const table of ['udp', 'udp6', 'raw', 'raw6']) {
    if (findRow(table, 9, inode) !== undefined) return { kind: 'datagram', what: `a ${table.replace(/6$/, '').toUpperCase()} socket` }
  }
  const unix = findRow('unix', 6, inode)
  if (unix !== undefined) {
    // Num RefCount Protocol Flags Type St Inode Path
    if (!UNIX_STREAM_TYPES.has(unix[4] as string)) return { kind: 'datagram', what: 'a unix datagram socket' }
    if (parseInt(unix[3] as string, 16) & UNIX_ACCEPTCON) return { kind: 'listening', what: 'a unix socket listener' }
    return { kind: 'connected', what: 'a unix socket connection' }
  }
  // Sockets made in another network namespace (PrivateNetwork=yes) are not in our /proc/net.
  return { kind: 'socket', what: 'a socket of unknown kind' }
}

/** The inode test: a cheap substring test before any split, since these tables can be long. */
function lists(text: string, inode: string): boolean {
  return text.includes(` ${inode}`)
}

function findRow(table: string, inodeColumn: number, inode: string): string[] | undefined {
  const text = tableText(`/proc/net/${table}`)
  if (!lists(text, inode)) return undefined
  return text.split('\n').map((line) => line.trim().split(/\s+/)).find((columns) => columns[inodeColumn] === inode)
}

/** Is the socket with this inode among the table's listeners (state 0A), which come first? */
export function isListener(path: string, inode: string): boolean {
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch {
    return false
  }
  const buffer = Buffer.alloc(16384)
  let text = ''
  try {
    for (let n = readSync(fd, buffer); n > 0; n = readSync(fd, buffer)) {
      const lines = (text + buffer.toString('latin1', 0, n)).split('\n')
      text = lines.pop() as string
      for (const columns of lines.map((line) => line.trim().split(/\s+/))) {
        if (columns[0] === 'sl') continue
        if (columns[3] !== TCP_LISTEN) return false
        if (columns[9] === inode) return true
      }
    }
    return false
  } finally {
    closeSync(fd)
  }
}

/**
 * Reading a TCP table walks the kernel's whole connection hash to its end even when the table
 * has few rows; sockstat6 says for nothing whether there is any IPv6 TCP socket at all.
 */
export function hasTcp6(sockstat6 = '/proc/net/sockstat6'): boolean {
  return !/^TCP6: inuse 0$/m.test(tableText(sockstat6))
}

/** The table's text, or '' when there is none (a kernel built without that protocol). */
export function tableText(path: string): string {
  try {
    return readFileSync(path, 'latin1')
  } catch {
    return ''
  }
}

function describeNonSocket(stat: ReturnType<typeof fstatSync>): string {
  if (stat.isFile()) return 'a regular file'
  if (stat.isFIFO()) return 'a pipe'
  if (stat.isCharacterDevice()) return 'a character device (a terminal or /dev/null)'
  if (stat.isDirectory()) return 'a directory'
  // No file type at all: an anonymous inode, such as the epoll fd Node opens for itself when
  // nothing was passed at this number.
  return 'not a socket but an anonymous kernel object (probably Node\'s own, meaning nothing was passed there)'
}
