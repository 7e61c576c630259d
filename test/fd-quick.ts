// The quick probe per-connection uses: listeners found from the head of /proc/net/tcp, any other
// socket accepted without reading the whole table.
import { closeSync, mkdtempSync, openSync, writeFileSync } from 'node:fs'
import { connect, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { boundUdpSocket, fdOf, listening } from './fixtures/sockets.js'
import { hasTcp6, isListener, probeServedLater, probeSocket, quickProbe, tableText } from '../src/systemd/fd-quick.js'

async function connected(server: Server): Promise<Socket> {
  const address = server.address()
  const client = typeof address === 'string' ? connect(address) : connect((address as { port: number }).port, (address as { address: string }).address)
  await new Promise((done) => client.once('connect', done))
  t.teardown(() => client.destroy())
  return client
}

t.test('quick: listeners are still found; a TCP connection is just "socket"; the rest as probeFd says', async (t) => {
  const v4 = await listening({ host: '127.0.0.1', port: 0 })
  const v6 = await listening({ host: '::1', port: 0 })
  const unix = await listening({ path: join(mkdtempSync(join(tmpdir(), 'probe-')), 's') })
  t.same(probeSocket(fdOf(v4), 'quick'), { kind: 'listening', what: 'a TCP listener (tcp)' })
  t.same(probeSocket(fdOf(v6), 'quick'), { kind: 'listening', what: 'a TCP listener (tcp6)' })
  const noTcp6 = join(mkdtempSync(join(tmpdir(), 'probe-')), 'sockstat6')
  writeFileSync(noTcp6, 'TCP6: inuse 0\n')
  t.same(quickProbe(fdOf(v4), noTcp6), { kind: 'listening', what: 'a TCP listener (tcp)' }, 'no IPv6 TCP socket: tcp6 is skipped')
  t.same(probeSocket(fdOf(unix), 'quick'), { kind: 'listening', what: 'a unix socket listener' })
  t.same(probeSocket(fdOf(await connected(v4)), 'quick'), { kind: 'socket', what: 'a socket that is not a TCP listener' })
  t.same(probeSocket(fdOf(await connected(v4))), { kind: 'connected', what: 'a TCP connection' }, 'full by default')
  t.same(probeSocket(fdOf(await connected(unix)), 'quick'), { kind: 'connected', what: 'a unix socket connection' })
  const fd = await boundUdpSocket()
  t.same(probeSocket(fd, 'quick'), { kind: 'datagram', what: 'a UDP socket' })
  const file = openSync(join(tmpdir(), 'probe-quick-file'), 'w')
  t.same(probeSocket(file, 'quick'), { kind: 'not-socket', what: 'a regular file' })
  closeSync(file)
  t.same(probeSocket(9999, 'quick'), { kind: 'closed', what: 'not open' })
})

t.test('served later: any socket passes without a look at /proc (serveConnection checks it); the rest as probeFd says', async (t) => {
  const v4 = await listening({ host: '127.0.0.1', port: 0 })
  t.same(probeServedLater(fdOf(v4), 'quick'), { kind: 'socket', what: 'a socket, checked once served' }, 'even a listener')
  t.same(probeServedLater(fdOf(await connected(v4)), 'quick'), { kind: 'socket', what: 'a socket, checked once served' })
  t.same(probeServedLater(fdOf(v4)), { kind: 'listening', what: 'a TCP listener (tcp)' }, 'full by default')
  const file = openSync(join(tmpdir(), 'probe-later-file'), 'w')
  t.same(probeServedLater(file, 'quick'), { kind: 'not-socket', what: 'a regular file' })
  closeSync(file)
  t.same(probeServedLater(9999, 'quick'), { kind: 'closed', what: 'not open' })
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
