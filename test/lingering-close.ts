// The lingering close in process: what it does to a socket node:http hands it.
import type { AddressInfo, Socket } from 'node:net'
import { connect } from 'node:net'
import t from 'tap'
import { buildApp } from '../src/app.js'
import { createAcceptor, prepareHttpServer } from '../src/http/accept.js'

t.test('a closing connection is ended once: node:http does not end it again when the client closes', async (t) => {
  const app = buildApp()
  await app.ready()
  prepareHttpServer(app)
  const acceptor = createAcceptor(app)
  t.teardown(() => {
    acceptor.close()
    return app.close()
  })
  let ends = 0
  const closed = new Promise<void>((resolve) => {
    acceptor.on('connection', (socket: Socket) => {
      const end = socket.end.bind(socket)
      socket.end = ((...args: Parameters<Socket['end']>) => {
        ends++
        return end(...args)
      }) as Socket['end']
      socket.once('close', () => resolve())
    })
  })
  await new Promise<void>((resolve) => acceptor.listen({ host: '127.0.0.1', port: 0 }, resolve))
  const client = connect({ host: '127.0.0.1', port: (acceptor.address() as AddressInfo).port })
  let answer = ''
  client.setEncoding('latin1')
  client.on('data', (chunk: string) => (answer += chunk))
  // The client closes its side once it has the whole answer, as HTTP clients do.
  client.on('end', () => client.end())
  client.write('GET /healthz HTTP/1.1\r\nHost: diceroll\r\nConnection: close\r\n\r\n')
  await closed
  t.match(answer, /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\n\{"status":"ok"\}$/)
  t.equal(ends, 1, 'one end(): a second one, on a finished stream, only builds an error nobody sees')
})
