import { execFileSync } from 'node:child_process'
import { closeSync, mkdtempSync, openSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { boundUdpSocket, fdOf, listening } from './fixtures/sockets.js'
import { probeFd } from '../src/systemd/fd-kind.js'

t.test('TCP listeners, IPv4 and IPv6, and their connections', async (t) => {
  const v4 = await listening({ host: '127.0.0.1', port: 0 })
  const v6 = await listening({ host: '::1', port: 0 })
  t.same(probeFd(fdOf(v4)), { kind: 'listening', what: 'a TCP listener (tcp)' })
  t.same(probeFd(fdOf(v6)), { kind: 'listening', what: 'a TCP listener (tcp6)' })
  const client = connect((v4.address() as { port: number }).port, '127.0.0.1')
  await new Promise((done) => client.once('connect', done))
  t.same(probeFd(fdOf(client)), { kind: 'connected', what: 'a TCP connection' })
  client.destroy()
})

t.test('unix stream listeners and connections', async (t) => {
  const path = join(mkdtempSync(join(tmpdir(), 'diceroll-probe-')), 'sock')
  const server = await listening({ path })
  t.same(probeFd(fdOf(server)), { kind: 'listening', what: 'a unix socket listener' })
  const client = connect(path)
  await new Promise((done) => client.once('connect', done))
  t.same(probeFd(fdOf(client)), { kind: 'connected', what: 'a unix socket connection' })
  client.destroy()
})

t.test('UDP sockets are datagram sockets', async (t) => {
  const fd = await boundUdpSocket()
  t.same(probeFd(fd), { kind: 'datagram', what: 'a UDP socket' })
})

t.test('files, pipes, devices and closed fds', async (t) => {
  const file = openSync(import.meta.filename, 'r')
  t.same(probeFd(file), { kind: 'not-socket', what: 'a regular file' })
  closeSync(file)
  t.same(probeFd(file), { kind: 'closed', what: 'not open' })
  const devnull = openSync('/dev/null', 'r')
  t.same(probeFd(devnull), { kind: 'not-socket', what: 'a character device (a terminal or /dev/null)' })
  closeSync(devnull)
  // Node's own stdio "pipes" are socketpairs: make a real FIFO (O_RDWR does not block on Linux).
  const fifoPath = join(mkdtempSync(join(tmpdir(), 'diceroll-probe-')), 'fifo')
  execFileSync('mkfifo', [fifoPath])
  const fifo = openSync(fifoPath, 'r+')
  t.same(probeFd(fifo), { kind: 'not-socket', what: 'a pipe' })
  closeSync(fifo)
  const dir = openSync(tmpdir(), 'r')
  t.same(probeFd(dir), { kind: 'not-socket', what: 'a directory' })
  closeSync(dir)
})
