// classifyFd() on real sockets, files and closed fds, at each depth.
import { execFileSync } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, writeFileSync } from 'node:fs'
import { connect, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { boundUdpSocket, fdOf, listening } from './fixtures/sockets.js'
import { classifyFd, fdProbe, hasTcp6, isListener, tableText, type FdInfo } from '../src/systemd/fd-kind.js'

t.test('TCP listeners, IPv4 and IPv6, and their connections', async (t) => {
  const v4 = await listening({ host: '127.0.0.1', port: 0 })
  const v6 = await listening({ host: '::1', port: 0 })
  t.same(classifyFd(fdOf(v4)), { kind: 'listening', what: 'a TCP listener (tcp)' })
  t.same(classifyFd(fdOf(v6)), { kind: 'listening', what: 'a TCP listener (tcp6)' })
  const client = connect((v4.address() as { port: number }).port, '127.0.0.1')
  await new Promise((done) => client.once('connect', done))
  t.same(classifyFd(fdOf(client)), { kind: 'connected', what: 'a TCP connection' })
  client.destroy()
})

t.test('unix stream listeners and connections', async (t) => {
  const path = join(mkdtempSync(join(tmpdir(), 'diceroll-probe-')), 'sock')
  const server = await listening({ path })
  t.same(classifyFd(fdOf(server)), { kind: 'listening', what: 'a unix socket listener' })
  const client = connect(path)
  await new Promise((done) => client.once('connect', done))
  t.same(classifyFd(fdOf(client)), { kind: 'connected', what: 'a unix socket connection' })
  client.destroy()
})

t.test('UDP sockets are datagram sockets', async (t) => {
  const fd = await boundUdpSocket()
  t.same(classifyFd(fd), { kind: 'datagram', what: 'a UDP socket' })
})

t.test('files, pipes, devices and closed fds', async (t) => {
  const file = openSync(import.meta.filename, 'r')
  t.same(classifyFd(file), { kind: 'not-socket', what: 'a regular file' })
  closeSync(file)
  t.same(classifyFd(file), { kind: 'closed', what: 'not open' })
  const devnull = openSync('/dev/null', 'r')
  t.same(classifyFd(devnull), { kind: 'not-socket', what: 'a character device (a terminal or /dev/null)' })
  closeSync(devnull)
  // Node's own stdio "pipes" are socketpairs: make a real FIFO (O_RDWR does not block on Linux).
  const fifoPath = join(mkdtempSync(join(tmpdir(), 'diceroll-probe-')), 'fifo')
  execFileSync('mkfifo', [fifoPath])
  const fifo = openSync(fifoPath, 'r+')
  t.same(classifyFd(fifo), { kind: 'not-socket', what: 'a pipe' })
  closeSync(fifo)
  const dir = openSync(tmpdir(), 'r')
  t.same(classifyFd(dir), { kind: 'not-socket', what: 'a directory' })
  closeSync(dir)
})

/** A regular file and a closed fd are told by fstat() alone, at any depth. */
function notSockets(t: Test, probe: (fd: number) => FdInfo): void {
  const file = openSync(join(tmpdir(), 'probe-not-socket'), 'w')
  t.same(probe(file), { kind: 'not-socket', what: 'a regular file' })
  closeSync(file)
  t.same(probe(9999), { kind: 'closed', what: 'not open' })
}

async function connected(server: Server): Promise<Socket> {
  const address = server.address()
  const client = typeof address === 'string' ? connect(address) : connect((address as { port: number }).port, (address as { address: string }).address)
  await new Promise((done) => client.once('connect', done))
  t.teardown(() => client.destroy())
  return client
}

t.test('quick: listeners are still found; a TCP connection is just "socket"; the rest as \'full\' says', async (t) => {
  const v4 = await listening({ host: '127.0.0.1', port: 0 })
  const v6 = await listening({ host: '::1', port: 0 })
  const unix = await listening({ path: join(mkdtempSync(join(tmpdir(), 'probe-')), 's') })
  t.same(classifyFd(fdOf(v4), 'quick'), { kind: 'listening', what: 'a TCP listener (tcp)' })
  t.same(classifyFd(fdOf(v6), 'quick'), { kind: 'listening', what: 'a TCP listener (tcp6)' })
  const noTcp6 = join(mkdtempSync(join(tmpdir(), 'probe-')), 'sockstat6')
  writeFileSync(noTcp6, 'TCP6: inuse 0\n')
  t.same(classifyFd(fdOf(v4), 'quick', { sockstat6: noTcp6 }), { kind: 'listening', what: 'a TCP listener (tcp)' }, 'no IPv6 TCP socket: tcp6 is skipped')
  t.same(classifyFd(fdOf(unix), 'quick'), { kind: 'listening', what: 'a unix socket listener' })
  t.same(classifyFd(fdOf(await connected(v4)), 'quick'), { kind: 'socket', what: 'a socket that is not a TCP listener' })
  t.same(classifyFd(fdOf(await connected(v4))), { kind: 'connected', what: 'a TCP connection' }, 'full by default')
  t.same(classifyFd(fdOf(await connected(unix)), 'quick'), { kind: 'connected', what: 'a unix socket connection' })
  const fd = await boundUdpSocket()
  t.same(classifyFd(fd, 'quick'), { kind: 'datagram', what: 'a UDP socket' })
  notSockets(t, (fd) => classifyFd(fd, 'quick'))
})

t.test("socket: any socket passes without a look at /proc (serveConnection checks it); the rest as 'full' says", async (t) => {
  const v4 = await listening({ host: '127.0.0.1', port: 0 })
  t.same(classifyFd(fdOf(v4), 'socket'), { kind: 'socket', what: 'a socket, checked once served' }, 'even a listener')
  t.same(classifyFd(fdOf(await connected(v4)), 'socket'), { kind: 'socket', what: 'a socket, checked once served' })
  t.same(classifyFd(fdOf(v4)), { kind: 'listening', what: 'a TCP listener (tcp)' }, 'full by default')
  notSockets(t, (fd) => classifyFd(fd, 'socket'))
})

t.test('isListener stops at the first row that is not a listener, and copes with no table', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'probe-table-'))
  const header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n'
  const row = (state: string, inode: number) => `   0: 0100007F:1F90 00000000:0000 ${state} 00000000:00000000 00:00000000 00000000     0        0 ${inode} 1 0 100 0 0 10 0\n`
  writeFileSync(join(dir, 'tcp'), header + row('0A', 11) + row('0A', 12) + row('06', 13) + row('0A', 14))
  t.equal(isListener(join(dir, 'tcp'), '12'), true)
  t.equal(isListener(join(dir, 'tcp'), '14'), false, 'rows after the listeners are not read as listeners')
  t.equal(isListener(join(dir, 'tcp'), '99'), false)
  writeFileSync(join(dir, 'only-listeners'), header + row('0A', 11))
  t.equal(isListener(join(dir, 'only-listeners'), '99'), false, 'to the end of the table')
  t.equal(isListener(join(dir, 'missing'), '11'), false)
  t.equal(tableText(join(dir, 'missing')), '')
  writeFileSync(join(dir, 'sockstat6'), 'TCP6: inuse 0\nUDP6: inuse 1\n')
  t.equal(hasTcp6(join(dir, 'sockstat6')), false, 'no IPv6 TCP socket: tcp6 is not read')
  writeFileSync(join(dir, 'sockstat6'), 'TCP6: inuse 2\n')
  t.equal(hasTcp6(join(dir, 'sockstat6')), true)
  t.equal(hasTcp6(join(dir, 'missing')), true, 'unknown: read it')
})

t.test("listener and connection: the addon's getsockopt() tells the wanted kind without /proc; any other kind is looked up there", async (t) => {
  const probe = fdProbe()
  const v4 = await listening({ host: '127.0.0.1', port: 0 })
  const unix = await listening({ path: join(mkdtempSync(join(tmpdir(), 'probe-')), 's') })
  // 'a listening socket' and 'a connected stream socket' are words only getsockopt's answer gives.
  t.same(probe(fdOf(v4), 'listener'), { kind: 'listening', what: 'a listening socket' })
  t.same(probe(fdOf(unix), 'listener'), { kind: 'listening', what: 'a listening socket' })
  t.same(probe(fdOf(await connected(unix)), 'connection'), { kind: 'connected', what: 'a connected stream socket' })
  t.same(probe(fdOf(await connected(v4)), 'connection'), { kind: 'connected', what: 'a connected stream socket' })
  t.same(probe(fdOf(await connected(v4)), 'listener'), { kind: 'socket', what: 'a socket that is not a TCP listener' }, 'not wanted: as quick')
  t.same(probe(fdOf(await connected(unix)), 'listener'), { kind: 'connected', what: 'a unix socket connection' })
  t.same(probe(fdOf(v4), 'connection'), { kind: 'listening', what: 'a TCP listener (tcp)' })
  t.same(probe(fdOf(unix), 'connection'), { kind: 'listening', what: 'a unix socket listener' })
  t.same(probe(await boundUdpSocket(), 'listener'), { kind: 'datagram', what: 'a UDP socket' })
  t.same(probe(fdOf(v4)), { kind: 'listening', what: 'a TCP listener (tcp)' }, 'full by default, words from /proc')
  notSockets(t, (fd) => probe(fd, 'connection'))
  notSockets(t, (fd) => probe(fd, 'listener'))
})

t.test('listener and connection without the addon are quick looks at /proc', async (t) => {
  const v4 = await listening({ host: '127.0.0.1', port: 0 })
  const unix = await listening({ path: join(mkdtempSync(join(tmpdir(), 'probe-')), 's') })
  const probe = fdProbe(join(tmpdir(), 'no-such-addon.node'))
  t.same(probe(fdOf(v4), 'listener'), { kind: 'listening', what: 'a TCP listener (tcp)' })
  t.same(probe(fdOf(await connected(unix)), 'connection'), { kind: 'connected', what: 'a unix socket connection' })
  t.same(classifyFd(fdOf(v4), 'listener'), { kind: 'listening', what: 'a TCP listener (tcp)' }, 'classifyFd alone has no addon')
  t.same(classifyFd(fdOf(v4), 'listener', { socketState: () => undefined }), { kind: 'listening', what: 'a TCP listener (tcp)' })
})
