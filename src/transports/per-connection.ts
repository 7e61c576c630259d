// Per-connection (systemd Accept=yes, inetd style): systemd accepted the connection and gave it
// to us as stdin or fd 3. Serve one request, close, and report the exit code.
import { Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { markClientErrorLogged } from '../http/client-error.js'
import { activationError, EXIT, type DicerollError, type ExitCode } from '../errors.js'
import { LINGER_MS, lingerOnClose } from '../http/lingering-close.js'
import { keepPeerAddress } from '../internals.js'
import { prepareHttpServer } from '../http/accept.js'
import { classifyFd } from '../systemd/fd-kind.js'
import { notAConnection, type PerConnectionPlan, type Probe } from '../systemd/mode.js'

/** How long the 408 may take to leave after the deadline before the connection is cut. */
const DEADLINE_GRACE_MS = 500

export interface StopOptions {
  /** Aborted on SIGTERM/SIGINT. */
  signal: AbortSignal
  /** How long a request already received may still take to finish. */
  timeoutMs: number
}

/** `probe` classifies the fd when it has no TCP peer: fdProbe() in fd-kind.ts, from run.ts. */
export function serveConnection(app: FastifyInstance, plan: PerConnectionPlan, deadlineMs: number, stop?: StopOptions, probe: Probe = classifyFd): Promise<ExitCode> {
  const { fd } = plan
  let socket: Socket
  try {
    socket = new Socket({ fd, readable: true, writable: true, allowHalfOpen: true })
  } catch (error) {
    // A socket Node cannot wrap (netlink, packet...): we only probe fds we can classify.
    return Promise.reject(checkServed(plan, probe) ?? activationError(`cannot use fd ${fd} as the connection: ${(error as Error).message}; systemd passes a TCP or unix stream connection with Accept=yes`))
  }
  // No TCP peer: a listener, a unix socket, or a connection already reset. Only then is the fd
  // classified, so the usual start reads no /proc table.
  const problem = socket.remoteAddress === undefined ? checkServed(plan, probe) : undefined
  if (problem !== undefined) {
    socket.destroy()
    return Promise.reject(problem)
  }
  keepPeerAddress(socket)
  return new Promise((resolve) => {
    let cutoffAt = Date.now() + deadlineMs
    // Drain what the client still sends after its answer (a body we did not read, pipelined
    // requests), but finish before the cut-off: an answered instance exits 0.
    let answered = false
    lingerOnClose(socket, () => {
      answered = true // node:http closes this way only after the last response went out
      return Math.min(LINGER_MS, cutoffAt - Date.now() - 100)
    })
    let exitCode: ExitCode = EXIT.OK
    const cut = (code: ExitCode, message: string, details: object): void => {
      exitCode = code
      app.log.warn(details, message)
      if (code !== EXIT.REQUEST_TIMEOUT) return void socket.destroy()
      // A client not answered yet gets a 408 (as from node:http's own request timeout, which
      // may fire a moment later), then the connection closes. The line above is its log line.
      markClientErrorLogged(socket)
      app.server.emit('clientError', Object.assign(new Error(message), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }), socket)
      setTimeout(() => socket.destroy(), DEADLINE_GRACE_MS)
    }
    // The deadline bounds the whole instance: a client that connects and never finishes its
    // request must not keep a process alive.
    let deadline = setTimeout(() => cut(EXIT.REQUEST_TIMEOUT, 'request deadline passed, closing the connection', { deadlineMs }), deadlineMs)
    socket.once('close', () => {
      clearTimeout(deadline)
      // Cut while only draining an answered connection (a stop): the client lost nothing.
      resolve(answered ? EXIT.OK : exitCode)
    })
    // Stopped: with nothing received there is nothing to finish, so give up at once; a request
    // under way gets the stop timeout to finish.
    stop?.signal.addEventListener('abort', () => {
      if (socket.bytesRead === 0) {
        cut(EXIT.FORCED_STOP, 'stopped before any request arrived, closing the connection', {})
        return
      }
      clearTimeout(deadline)
      cutoffAt = Date.now() + stop.timeoutMs
      deadline = setTimeout(() => cut(EXIT.FORCED_STOP, 'stopped, and the request did not finish in time', { stopTimeoutMs: stop.timeoutMs }), stop.timeoutMs)
    }, { once: true })
    prepareHttpServer(app)
    app.server.emit('connection', socket)
    app.log.debug({ fd }, `serving the connection on fd ${fd}`)
  })
}

/** What the plan left unchecked (planMode in mode.ts): the fd's kind, and planMode's own error. */
function checkServed(plan: PerConnectionPlan, probe: Probe): DicerollError | undefined {
  if (plan.checkOnceServed === undefined) return undefined
  return notAConnection(plan.fd, probe(plan.fd, 'connection'), plan.checkOnceServed)
}
