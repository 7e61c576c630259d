// What a connection gets when node:http cannot parse its request (or it came too slowly).
// Fastify's default handler writes its 4xx even while the response to an earlier pipelined
// request is still being made, then destroys the socket at once: with bytes still unread the
// kernel sends RST and the client loses both answers. Ours lets the response to a complete
// earlier request finish and closes after it; otherwise (the broken request is the one being
// answered, e.g. its body was cut short) it answers the 4xx with `Connection: close` at once and
// closes lingeringly.
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { HttpSocket } from '../internals.js'
import { drainOnClose, lingeringClose } from './lingering-close.js'
import { socketPeerAddress } from './request-log.js'

/** Status, the `message` of the answer, and what the log line says happened. */
const ANSWERS: Record<string, [number, string, string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Client Timeout', 'the request did not arrive in full within --request-timeout'],
  HPE_HEADER_OVERFLOW: [431, 'Exceeded maximum allowed HTTP header size', 'the request line and headers are larger than node:http allows'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'Chunk extensions too large', 'the chunk extensions of the body are larger than node:http allows'],
}
const NOT_HTTP: [number, string, string] = [400, 'Client Error', 'bytes that are not an HTTP/1.1 request']

// One line per connection: node:http's request timeout can fire after our own answer (or the
// per-connection deadline's) is on its way, and that is not a second error.
const reported = new WeakSet<Socket>()

/** The caller has logged this connection's client error itself (the per-connection deadline). */
export function markClientErrorLogged(socket: Socket): void {
  reported.add(socket)
}

export function clientErrorHandler(this: FastifyInstance, error: NodeJS.ErrnoException, socket: Socket): void {
  // A reset is the client leaving, and there is no one left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const inFlight = (socket as HttpSocket)._httpMessage
  const [statusCode, message, happened] = ANSWERS[String(error.code)] ?? NOT_HTTP
  const first = !reported.has(socket)
  reported.add(socket)
  if (inFlight && !inFlight.writableFinished && inFlight.req.complete) {
    // The error is in bytes after a complete request: answer that one first. node:http closes the
    // socket after a response marked last (destroySoon, made lingering, even for a request that
    // said Connection: close: more may be on its way).
    if (first) logClientError(this, socket, error, `${happened} after a complete request: answering that one, then closing`)
    drainOnClose(socket)
    inFlight.shouldKeepAlive = false
    inFlight._last = true
    return
  }
  // Nothing may follow a response whose head already went out: that would corrupt it.
  const answering = socket.writable && !inFlight?.headersSent
  if (first) {
    if (answering) logClientError(this, socket, error, `${happened}: answered ${statusCode}, closing the connection`, statusCode)
    else logClientError(this, socket, error, `${happened} while its answer was on its way: closing the connection`)
  }
  const status = STATUS_CODES[statusCode] as string
  const body = JSON.stringify({ error: status, message, statusCode })
  if (answering) {
    socket.write(`HTTP/1.1 ${statusCode} ${status}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`)
  }
  lingeringClose(socket)
}

function logClientError(app: FastifyInstance, socket: Socket, error: NodeJS.ErrnoException, msg: string, statusCode?: number): void {
  // node:http's own words (e.g. "Parse Error: Invalid method encountered") say which rule was broken.
  app.log.warn({ statusCode, code: error.code, reason: error.message, remoteAddress: socketPeerAddress(socket) }, msg)
}

// node:http answers these two itself, before any request reaches the app and without a trace;
// the app answers them instead, with the same status and a log line.

/** http.Server's 'checkExpectation': an Expect other than 100-continue. */
export function answerUnsupportedExpect(this: FastifyInstance, request: IncomingMessage, response: ServerResponse): void {
  this.log.warn({ statusCode: 417, expect: request.headers.expect, remoteAddress: socketPeerAddress(request.socket) }, 'unsupported Expect header: answered 417')
  response.writeHead(417)
  response.end()
}

/**
 * True, with the 400 sent and logged, for an HTTP/1.1 request without a Host header (RFC 9112
 * 3.2 says 400), which node:http answers itself unless told not to (requireHostHeader: false).
 */
export function answeredMissingHost(request: FastifyRequest, reply: FastifyReply): boolean {
  if (request.headers.host !== undefined || request.raw.httpVersion !== '1.1') return false
  request.log.warn({ statusCode: 400, remoteAddress: socketPeerAddress(request.socket) }, 'HTTP/1.1 request without a Host header: answered 400')
  void reply.code(400).header('connection', 'close').send({ statusCode: 400, error: 'Bad Request', message: 'an HTTP/1.1 request needs a Host header, e.g. Host: localhost' })
  return true
}
