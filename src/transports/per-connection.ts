// Per-connection (systemd Accept=yes, inetd style): systemd accepted the connection and gave it
// to us as stdin or fd 3. Serve one request, close, and report the exit code.
import { Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { activationError, EXIT, type ExitCode } from '../errors.js'
import { LINGER_MS, lingerOnClose } from '../lingering-close.js'
import { prepareHttpServer } from './accept.js'

/** How long the 408 may take to leave after the deadline before the connection is cut. */
const DEADLINE_GRACE_MS = 500

export function serveConnection(app: FastifyInstance, fd: number, deadlineMs: number): Promise<ExitCode> {
  let socket: Socket
  try {
    socket = new Socket({ fd, readable: true, writable: true, allowHalfOpen: true })
  } catch (error) {
    // A socket Node cannot wrap (netlink, packet...): we only probe fds we can classify.
    return Promise.reject(activationError(`cannot use fd ${fd} as the connection: ${(error as Error).message}; systemd passes a TCP or unix stream connection with Accept=yes`))
  }
  return new Promise((resolve) => {
    const deadlineAt = Date.now() + deadlineMs
    // Drain what the client still sends after its answer (a body we did not read, pipelined
    // requests), but finish before the deadline: an answered instance exits 0.
    lingerOnClose(socket, () => Math.min(LINGER_MS, deadlineAt - Date.now() - 100))
    // The deadline bounds the whole instance: a client that connects and never finishes its
    // request must not keep a process alive. It gets a 408 if it was not answered yet (as from
    // node:http's own request timeout, which may fire a moment later), then the connection closes.
    let timedOut = false
    const deadline = setTimeout(() => {
      timedOut = true
      app.log.warn({ deadlineMs }, 'request deadline passed, closing the connection')
      app.server.emit('clientError', Object.assign(new Error('request deadline passed'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }), socket)
      setTimeout(() => socket.destroy(), DEADLINE_GRACE_MS)
    }, deadlineMs)
    socket.once('close', () => {
      clearTimeout(deadline)
      resolve(timedOut ? EXIT.REQUEST_TIMEOUT : EXIT.OK)
    })
    prepareHttpServer(app)
    app.server.emit('connection', socket)
  })
}
