// Per-connection (systemd Accept=yes, inetd style): systemd accepted the connection and gave it
// to us as stdin or fd 3. Serve one request, close, and report the exit code.
import { Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { activationError, EXIT, type ExitCode } from '../errors.js'
import { prepareHttpServer } from './accept.js'

export interface StopOptions {
  /** Aborted on SIGTERM/SIGINT. */
  signal: AbortSignal
  /** How long a request already received may still take to finish. */
  timeoutMs: number
}

export function serveConnection(app: FastifyInstance, fd: number, deadlineMs: number, stop?: StopOptions): Promise<ExitCode> {
  let socket: Socket
  try {
    socket = new Socket({ fd, readable: true, writable: true, allowHalfOpen: true })
  } catch (error) {
    // A socket Node cannot wrap (netlink, packet...): we only probe fds we can classify.
    return Promise.reject(activationError(`cannot use fd ${fd} as the connection: ${(error as Error).message}; systemd passes a TCP or unix stream connection with Accept=yes`))
  }
  return new Promise((resolve) => {
    const cut = (exitCode: ExitCode, message: string, details: object): void => {
      app.log.warn(details, message)
      socket.destroy()
      resolve(exitCode)
    }
    // The deadline bounds the whole instance: a client that connects and never finishes its
    // request must not keep a process alive.
    let deadline = setTimeout(() => cut(EXIT.REQUEST_TIMEOUT, 'request deadline passed, closing the connection', { deadlineMs }), deadlineMs)
    socket.once('close', () => {
      clearTimeout(deadline)
      resolve(EXIT.OK)
    })
    // Stopped: with nothing received there is nothing to finish, so give up at once; a request
    // under way gets the stop timeout to finish.
    stop?.signal.addEventListener('abort', () => {
      if (socket.bytesRead === 0) {
        cut(EXIT.FORCED_STOP, 'stopped before any request arrived, closing the connection', {})
        return
      }
      clearTimeout(deadline)
      deadline = setTimeout(() => cut(EXIT.FORCED_STOP, 'stopped, and the request did not finish in time', { stopTimeoutMs: stop.timeoutMs }), stop.timeoutMs)
    }, { once: true })
    prepareHttpServer(app)
    app.server.emit('connection', socket)
    app.log.debug({ fd }, `serving the connection on fd ${fd}`)
  })
}
