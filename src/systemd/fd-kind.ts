// What an inherited file descriptor is: a listening socket, a connection, a datagram socket,
// something else, or nothing. Node has no getsockopt(), so we look the socket's inode up in
// /proc/net, read-only, without wrapping the fd in a handle that would own and close it.
import { fstatSync, readFileSync } from 'node:fs'

export type FdKind = 'closed' | 'not-socket' | 'listening' | 'connected' | 'datagram' | 'socket'

export interface FdInfo {
  kind: FdKind
  /** Human words for error messages: "a TCP listener", "a regular file", ... */
  what: string
}

const TCP_LISTEN = '0A'
const UNIX_ACCEPTCON = 0x10000
const UNIX_STREAM_TYPES = new Set(['0001', '0005'])

export function probeFd(fd: number): FdInfo {
  let stat
  try {
    stat = fstatSync(fd)
  } catch {
    return { kind: 'closed', what: 'not open' }
  }
  if (!stat.isSocket()) return { kind: 'not-socket', what: describeNonSocket(stat) }
  const inode = String(stat.ino)
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

function findRow(table: string, inodeColumn: number, inode: string): string[] | undefined {
  let text
  try {
    text = readFileSync(`/proc/net/${table}`, 'latin1')
    /* c8 ignore next 3: only on kernels built without this protocol (e.g. no IPv6) */
  } catch {
    return undefined
  }
  // Cheap substring test first: these tables can be long on a busy host.
  if (!text.includes(` ${inode}`)) return undefined
  return text.split('\n').map((line) => line.trim().split(/\s+/)).find((columns) => columns[inodeColumn] === inode)
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
