// The one log line per request, and the per-request logger Fastify hands to request.log.
// Both are on every request's path, so they avoid what pino would do per request for nothing:
// a child logger that most requests never use, and a generic serialisation of a line whose shape
// is fixed. The line stays the one pino writes (test/request-log.ts compares them byte for byte).
import type { Socket } from 'node:net'
import type { FastifyBaseLogger, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify'
import { LogController } from 'fastify'
import type { Logger } from 'pino'
import type { AppOptions } from '../app-options.js'
import { isPinoLogger, writePinoLine } from '../internals.js'

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
type Bindings = Parameters<FastifyBaseLogger['child']>[0]
type ChildOptions = Parameters<FastifyBaseLogger['child']>[1]

// Read when the connection arrives: a client that resets its connection right after the answer
// can leave the socket closed before the line is written, and Node then knows no peer address
// (the line said "unix" for a TCP client).
const peerAddresses = new WeakMap<Socket, string>()

/** Keeps the peer address of a connection for its request lines (unix sockets have none). */
export function rememberPeerAddress(socket: Socket): void {
  const address = socket.remoteAddress
  if (address !== undefined) peerAddresses.set(socket, address)
}

/** The peer address of a connection for log lines: "unix" for a unix socket. */
export function socketPeerAddress(socket: Socket): string {
  return peerAddresses.get(socket) ?? socket.remoteAddress ?? 'unix'
}

function peerAddress(options: AppOptions, request: FastifyRequest): string {
  return options.remoteAddress ?? socketPeerAddress(request.socket)
}

/**
 * Fastify's onRequestAbort hook: a request whose client went away before its answer never
 * completes, so it gets this line instead of none.
 */
export function logAbortedRequest(options: AppOptions): (request: FastifyRequest, done: () => void) => void {
  return (request, done) => {
    request.log.info({ method: request.method, url: request.url, remoteAddress: peerAddress(options, request) }, 'request aborted by the client')
    done()
  }
}

/** One log line per request, written when the response is done. */
export class RequestLineLog extends LogController {
  // Read per request, not at construction: a prebuilt app (src/snapshot/) gets its options late.
  constructor(private readonly options: AppOptions) {
    super({})
  }

  override incomingRequest(): void {}

  override routeNotFound(): void {}

  // A 4xx is the client's mistake and its request line says so; only our own failures get a
  // line of their own, with the stack.
  override defaultErrorLog(error: Error, request: FastifyRequest, reply: FastifyReply): void {
    if (reply.statusCode >= 500) reply.log.error({ err: error, url: request.url }, error.message)
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const remoteAddress = peerAddress(this.options, request)
    const responseTimeMs = Math.round(reply.elapsedTime * 100) / 100
    const failed = Boolean(error) || reply.statusCode >= 500
    if (!failed && writeInfoLine(this.options.logger, request, reply.statusCode, responseTimeMs, remoteAddress)) return
    const line = { method: request.method, url: request.url, statusCode: reply.statusCode, responseTimeMs, remoteAddress, err: error ?? undefined }
    if (failed) reply.log.error(line, 'request')
    else reply.log.info(line, 'request')
  }
}

/**
 * Writes the info request line straight to the pino logger's stream, as pino would write it
 * from a child with { reqId } (level, time, the logger's bindings, reqId, the fields, msg).
 * False when `logger` is not a pino logger: the caller logs through request.log then.
 */
function writeInfoLine(logger: FastifyBaseLogger | undefined, request: FastifyRequest, statusCode: number, responseTimeMs: number, remoteAddress: string): boolean {
  if (!isPinoLogger(logger)) return false
  const pino = logger as Logger
  if (!pino.isLevelEnabled('info')) return true
  writePinoLine(pino, pino.levels.values.info as number,
    `,"reqId":${JSON.stringify(request.id)},"method":${JSON.stringify(request.method)},"url":${JSON.stringify(request.url)}` +
    `,"statusCode":${statusCode},"responseTimeMs":${responseTimeMs},"remoteAddress":${JSON.stringify(remoteAddress)}` +
    `,"msg":"request"`)
  return true
}

/**
 * Fastify's childLoggerFactory: request.log and reply.log, made into a real pino child only when
 * a request logs something through them (an error, or a handler that logs).
 */
export const lazyRequestLogger: NonNullable<FastifyServerOptions['childLoggerFactory']> = (parent, bindings, options) =>
  new LazyChild(parent, bindings, options) as unknown as FastifyBaseLogger

class LazyChild {
  #real: FastifyBaseLogger | undefined

  constructor(private readonly parent: FastifyBaseLogger, private readonly bindings: Bindings, private readonly options: ChildOptions) {}

  get real(): FastifyBaseLogger {
    this.#real ??= this.parent.child(this.bindings, this.options)
    return this.#real
  }

  get level(): string {
    return this.real.level
  }

  set level(level: string) {
    this.real.level = level
  }

  child(bindings: Bindings, options?: ChildOptions): FastifyBaseLogger {
    return this.real.child(bindings, options)
  }
}

for (const level of LEVELS) {
  Object.defineProperty(LazyChild.prototype, level, {
    value(this: LazyChild, ...args: unknown[]) {
      ;(this.real[level] as (...a: unknown[]) => void)(...args)
    },
  })
}
