// The lingering close in process: what it does to a socket node:http hands it, and when node:http's
// own close is enough.
import type { IncomingMessage } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { connect } from 'node:net'
import t, { type Test } from 'tap'
import { buildApp } from '../src/app.js'
import { createAcceptor, prepareHttpServer } from '../src/http/accept.js'
import { clientClosesAfter, LINGER_MS } from '../src/http/lingering-close.js'

interface Served {
  port: number
  /** The server's side of the next connection, once accepted. */
  accepted: Promise<Socket>
}

async function serve(t: Test): Promise<Served> {
  const app = buildApp()
  await app.ready()
  prepareHttpServer(app)
  const acceptor = createAcceptor(app)
  t.teardown(() => {
    acceptor.close()
    return app.close()
  })
  const accepted = new Promise<Socket>((resolve) => acceptor.once('connection', resolve))
  await new Promise<void>((resolve) => acceptor.listen({ host: '127.0.0.1', port: 0 }, resolve))
  return { port: (acceptor.address() as AddressInfo).port, accepted }
}

function client(port: number): { socket: Socket; answer: () => string; ended: Promise<void> } {
  const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true })
  let answer = ''
  socket.setEncoding('latin1')
  socket.on('data', (chunk: string) => (answer += chunk))
  const ended = new Promise<void>((resolve) => socket.once('end', resolve))
  return { socket, answer: () => answer, ended }
}

const closed = (socket: Socket) => new Promise<void>((resolve) => socket.once('close', () => resolve()))

t.test('a closing connection is ended once: node:http does not end it again when the client closes', async (t) => {
  const { port, accepted } = await serve(t)
  const { socket, answer, ended } = client(port)
  // A body the route does not read keeps the request unfinished, so the close lingers.
  socket.write('GET /healthz HTTP/1.1\r\nHost: diceroll\r\nConnection: close\r\nContent-Length: 4\r\n\r\n')
  const server = await accepted
  let ends = 0
  const end = server.end.bind(server)
  server.end = ((...args: Parameters<Socket['end']>) => {
    ends++
    return end(...args)
  }) as Socket['end']
  await ended
  t.match(answer(), /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\n\{"status":"ok"\}$/)
  t.equal(server.destroyed, false, 'still open after its FIN: it drains what the client still sends')
  socket.end('body')
  await closed(server)
  t.equal(ends, 1, 'one end(): a second one, on a finished stream, only builds an error nobody sees')
})

t.test('a client that asked to close after a whole request: closed once the response is written, without waiting for its FIN', async (t) => {
  const { port, accepted } = await serve(t)
  const { socket, answer, ended } = client(port)
  t.teardown(() => socket.destroy())
  socket.write('GET /healthz HTTP/1.1\r\nHost: diceroll\r\nConnection: close\r\n\r\n')
  const server = await accepted
  const bound = new Promise<string>((resolve) => setTimeout(() => resolve('still open'), LINGER_MS / 2))
  t.equal(await Promise.race([closed(server).then(() => 'closed'), bound]), 'closed', `closed before half the linger bound (${LINGER_MS / 2} ms), with the client's side still open`)
  await ended
  t.match(answer(), /^HTTP\/1\.1 200 OK\r\n[^]*\r\nconnection: close\r\n\r\n\{"status":"ok"\}$/i)
})

t.test('clientClosesAfter: only a request read to its end whose client said it closes', async (t) => {
  const request = (httpVersion: string, connection: string | undefined, complete = true) =>
    ({ httpVersion, complete, headers: connection === undefined ? {} : { connection } }) as unknown as IncomingMessage
  t.equal(clientClosesAfter(request('1.1', 'close')), true)
  t.equal(clientClosesAfter(request('1.1', 'Close')), true, 'a token is case-insensitive')
  t.equal(clientClosesAfter(request('1.1', 'keep-alive, close')), true, 'one token of a list')
  t.equal(clientClosesAfter(request('1.1', 'close ,TE')), true, 'with spaces around it')
  t.equal(clientClosesAfter(request('1.1', 'closed')), false, 'another token')
  t.equal(clientClosesAfter(request('1.1', 'keep-alive')), false)
  t.equal(clientClosesAfter(request('1.1', undefined)), false, 'HTTP/1.1 keeps the connection by default')
  t.equal(clientClosesAfter(request('1.0', undefined)), true, 'HTTP/1.0 closes by default')
  t.equal(clientClosesAfter(request('1.0', 'Keep-Alive')), false, 'unless it asked to keep it')
  t.equal(clientClosesAfter(request('1.1', 'close', false)), false, 'a body still coming: drain it')
  t.equal(clientClosesAfter(undefined), false, 'no request parsed')
})
