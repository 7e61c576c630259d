// Per-connection (systemd Accept=yes, inetd style): systemd accepted the connection and gave it
// to us as stdin or fd 3. Serve one request, close, and report the exit code.
import { Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { activationError, EXIT, type ExitCode } from '../errors.js'
import { prepareHttpServer } from './accept.js'

export function serveConnection(app: FastifyInstance, fd: number, deadlineMs: number): Promise<ExitCode> {
  let socket: Socket
  try {
    socket = new Socket({ fd, readable: true, writable: true, allowHalfOpen: true })
  } catch (error) {
    // A socket Node cannot wrap (netlink, packet...): we only probe fds we can classify.
    return Promise.reject(activationError(`cannot use fd ${fd} as the connection: ${(error as Error).message}; systemd passes a TCP or unix stream connection with Accept=yes`))
  }
  return new Promise((resolve) => {
    // The deadline bounds the whole instance: a client that connects and never finishes its
    // request must not keep a process alive.
    const deadline = setTimeout(() => {
      app.log.warn({ deadlineMs }, 'request deadline passed, closing the connection')
      socket.destroy()
      resolve(EXIT.REQUEST_TIMEOUT)
    }, deadlineMs)
    socket.once('close', () => {
      clearTimeout(deadline)
      resolve(EXIT.OK)
    })
    prepareHttpServer(app)
    app.server.emit('connection', socket)
  })
}
