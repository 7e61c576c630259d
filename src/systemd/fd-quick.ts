// The probe per-connection mode uses. /proc/net/tcp has a row for every TCP socket of the host,
// TIME_WAIT included: reading it all cost a start ~35 ms on a host with 8,500 of them. Per-
// connection accepts any socket but a listener, and the kernel lists a table's listeners first,
// so this reads only that block; a socket found in the small tables gets the full probe.
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs'
import { probeFd, type FdInfo } from './fd-kind.js'

const NOT_LISTENING: FdInfo = { kind: 'socket', what: 'a socket that is not a TCP listener' }
const SMALL_TABLES = ['unix', 'udp', 'udp6', 'raw', 'raw6']

/**
 * probeSocket for --mode=per-connection, whose transport checks the fd again once it holds it:
 * a TCP peer address proves a connection, so the usual start reads no /proc table at all, and
 * serveConnection() runs probeSocket only when there is no peer, to explain (or to accept a unix
 * connection as before).
 */
export function probeServedLater(fd: number, depth: 'full' | 'quick' = 'full'): FdInfo {
  if (depth === 'quick') {
    try {
      if (fstatSync(fd).isSocket()) return SERVED_LATER
    } catch {
      // probeFd says what it is.
    }
  }
  return probeFd(fd)
}

const SERVED_LATER: FdInfo = { kind: 'socket', what: 'a socket, checked once served' }

/** probeFd for planMode: depth 'quick' where any socket but a listener will do. */
export function probeSocket(fd: number, depth: 'full' | 'quick' = 'full'): FdInfo {
  return depth === 'quick' ? quickProbe(fd) : probeFd(fd)
}

export function quickProbe(fd: number, sockstat6?: string): FdInfo {
  let inode: string
  try {
    const stat = fstatSync(fd)
    if (!stat.isSocket()) return probeFd(fd)
    inode = String(stat.ino)
  } catch {
    return probeFd(fd)
  }
  for (const table of hasTcp6(sockstat6) ? ['tcp', 'tcp6'] : ['tcp']) {
    if (isListener(`/proc/net/${table}`, inode)) return { kind: 'listening', what: `a TCP listener (${table})` }
  }
  const elsewhere = SMALL_TABLES.some((table) => tableText(`/proc/net/${table}`).includes(` ${inode}`))
  return elsewhere ? probeFd(fd) : NOT_LISTENING
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
        if (columns[3] !== '0A') return false
        if (columns[9] === inode) return true
      }
    }
    return false
  } finally {
    closeSync(fd)
  }
}

/**
 * Reading a TCP table walks the kernel's whole connection hash to its end when the table has few
 * rows (~4 ms here for an empty tcp6); sockstat6 says for nothing whether there is any at all.
 */
export function hasTcp6(sockstat6 = '/proc/net/sockstat6'): boolean {
  return !/^TCP6: inuse 0$/m.test(tableText(sockstat6))
}

export function tableText(path: string): string {
  try {
    return readFileSync(path, 'latin1')
  } catch {
    return ''
  }
}
