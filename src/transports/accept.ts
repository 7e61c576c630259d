// Listening sockets are plain net.Servers that hand each accepted connection to the app's one
// http.Server, so TCP, IPv6 and unix listeners (inherited or our own) share one app, one set of
// HTTP timeouts and one view of the open connections.
import { createServer, type Server, type Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { lingerOnClose } from '../lingering-close.js'
import { rememberPeerAddress } from '../request-log.js'

export function createAcceptor(app: FastifyInstance): Server {
  // allowHalfOpen as http.Server itself would: a client that half-closes after its request still
  // gets the response (see httpAllowHalfOpen in prepareHttpServer).
  const acceptor = createServer({ allowHalfOpen: true, noDelay: true })
  acceptor.on('connection', (socket) => serveSocket(app, socket))
  return acceptor
}

/** One connection onto the app, accepted here or taken from systemd's fd store alike. */
export function serveSocket(app: FastifyInstance, socket: Socket): void {
  lingerOnClose(socket)
  rememberPeerAddress(socket)
  app.server.emit('connection', socket)
}

/** Readies app.server for connections handed to it instead of accepted by itself. */
export function prepareHttpServer(app: FastifyInstance): void {
  // Undocumented but stable since Node 0.x: without it http.Server aborts the pending request
  // of a client that half-closes (shutdown(SHUT_WR)) after sending it.
  ;(app.server as typeof app.server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true
  // http.Server starts tracking connections (request and headers timeouts, idle detection for
  // closeIdleConnections) on 'listening', which it never sees when it does not listen itself.
  app.server.emit('listening')
}
