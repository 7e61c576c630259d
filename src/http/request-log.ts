// The one log line per request. It is on every request's path, so it avoids what pino would do
// per request for nothing: a generic serialisation of a line whose shape is fixed (and, with
// lazyRequestLogger in logger-forwarder.ts, a child logger that most requests never use). The
// line stays the one pino writes (test/request-log.ts compares them byte for byte).
import type { Socket } from 'node:net'
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify'
import { LogController } from 'fastify'
import type { Logger } from 'pino'
import type { AppOptions } from '../app-options.js'
import { isPinoLogger, writePinoLine } from '../internals.js'

const REQUEST_MSG = 'request'

/** The peer address of a connection for log lines (kept by keepPeerAddress): "unix" for a unix socket. */
export function socketPeerAddress(socket: Socket): string {
  return socket.remoteAddress ?? 'unix'
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
    const failed = Boolean(error) || reply.statusCode >= 500
    if (!failed && writeInfoLine(this.options.logger, request, reply, remoteAddress)) return
    const line = requestLine(request, reply, remoteAddress)
    if (failed) reply.log.error({ ...line, err: error ?? undefined }, REQUEST_MSG)
    else reply.log.info(line, REQUEST_MSG)
  }
}

/** The request line's fields, in the order they are written (writeInfoLine writes the same). */
function requestLine(request: FastifyRequest, reply: FastifyReply, remoteAddress: string): Record<string, string | number> {
  return {
    method: request.method,
    url: request.url,
    statusCode: reply.statusCode,
    responseTimeMs: Math.round(reply.elapsedTime * 100) / 100,
    remoteAddress,
  }
}

/**
 * Writes the info request line straight to the pino logger's stream, as pino would write it
 * from a child with { reqId }: level, time, the logger's bindings, reqId, requestLine()'s fields
 * in its order, msg. False when `logger` is not a pino logger: the caller logs through
 * request.log then. Built as one string with no object and no JSON.stringify for the strings
 * that need no escaping: a call to JSON.stringify per field was a fifth of the line's cost.
 */
function writeInfoLine(logger: FastifyBaseLogger | undefined, request: FastifyRequest, reply: FastifyReply, remoteAddress: string): boolean {
  if (!isPinoLogger(logger)) return false
  const pino = logger as Logger
  if (pino.levelVal > INFO) return true
  const fields =
    `,"reqId":${jsonString(request.id)},"method":${jsonString(request.method)},"url":${jsonString(request.url)}` +
    `,"statusCode":${reply.statusCode},"responseTimeMs":${hundredths(Math.round(reply.elapsedTime * 100))}` +
    `,"remoteAddress":${jsonString(remoteAddress)}${REQUEST_MSG_FIELD}`
  writePinoLine(pino, INFO, fields)
  return true
}

const INFO = 30
const REQUEST_MSG_FIELD = `,"msg":${JSON.stringify(REQUEST_MSG)}`

// Printable ASCII but `"` and `\`: JSON.stringify would return it quoted and unchanged.
const PLAIN_JSON_STRING = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/

/** JSON.stringify(text), without its call for the strings (nearly all) that need no escape. */
export function jsonString(text: string): string {
  return PLAIN_JSON_STRING.test(text) ? `"${text}"` : JSON.stringify(text)
}

/**
 * JSON.stringify(hundredths / 100) for a whole number of hundredths, from small integers: the
 * double's shortest form is that decimal, and formatting a double (V8's FastDtoa) cost more
 * than the rest of the field.
 */
export function hundredths(count: number): string {
  if (!(count >= 0 && count < 1e15 && Number.isInteger(count))) return JSON.stringify(count / 100)
  const whole = Math.floor(count / 100)
  const rest = count - whole * 100
  if (rest === 0) return `${whole}`
  if (rest % 10 === 0) return `${whole}.${rest / 10}`
  return rest < 10 ? `${whole}.0${rest}` : `${whole}.${rest}`
}
