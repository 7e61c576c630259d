// Listening sockets are plain net.Servers that hand each accepted connection to the app's one
// http.Server, so TCP, IPv6 and unix listeners (inherited or our own) share one app, one set of
// HTTP timeouts and one view of the open connections.
import { createServer, type Server, type Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { allowHalfOpenRequests, keepPeerAddress, trackConnectionsWithoutListening } from '../internals.js'
import { lingerOnClose } from './lingering-close.js'

export function createAcceptor(app: FastifyInstance): Server {
  // allowHalfOpen as http.Server itself would: a client that half-closes after its request still
  // gets the response (see allowHalfOpenRequests in prepareHttpServer).
  const acceptor = createServer({ allowHalfOpen: true, noDelay: true })
  acceptor.on('connection', (socket) => serveSocket(app, socket))
  return acceptor
}

/** One connection onto the app, accepted here or taken from systemd's fd store alike. */
export function serveSocket(app: FastifyInstance, socket: Socket): void {
  lingerOnClose(socket)
  keepPeerAddress(socket)
  app.server.emit('connection', socket)
}

/** Readies app.server for connections handed to it instead of accepted by itself. */
export function prepareHttpServer(app: FastifyInstance): void {
  allowHalfOpenRequests(app.server)
  trackConnectionsWithoutListening(app.server)
}
