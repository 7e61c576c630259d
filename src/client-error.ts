// What a connection gets when node:http cannot parse its request (or it came too slowly).
// Fastify's default handler writes its 4xx even while the response to an earlier pipelined
// request is still being made, then destroys the socket at once: with bytes still unread the
// kernel sends RST and the client loses both answers. Ours lets the response to a complete
// earlier request finish and closes after it; otherwise (the broken request is the one being
// answered, e.g. its body was cut short) it answers the 4xx with `Connection: close` at once and
// closes lingeringly.
import { STATUS_CODES, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { lingeringClose } from './lingering-close.js'

interface HttpSocket extends Socket {
  /** The response node:http is writing on this socket, if any. */
  _httpMessage?: (ServerResponse & { _last?: boolean }) | null
}

const ANSWERS: Record<string, [number, string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Client Timeout'],
  HPE_HEADER_OVERFLOW: [431, 'Exceeded maximum allowed HTTP header size'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'Chunk extensions too large'],
}

export function clientErrorHandler(this: FastifyInstance, error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  this.log.debug({ code: error.code }, 'unparsable or incomplete request')
  const inFlight = (socket as HttpSocket)._httpMessage
  if (inFlight && !inFlight.writableFinished && inFlight.req.complete) {
    // The error is in bytes after a complete request: answer that one first. node:http closes the
    // socket after a response marked last (destroySoon, made lingering).
    inFlight.shouldKeepAlive = false
    inFlight._last = true
    return
  }
  const [statusCode, message] = ANSWERS[String(error.code)] ?? [400, 'Client Error']
  const status = STATUS_CODES[statusCode] as string
  const body = JSON.stringify({ error: status, message, statusCode })
  // Nothing may follow a response whose head already went out: that would corrupt it.
  if (socket.writable && !inFlight?.headersSent) {
    socket.write(`HTTP/1.1 ${statusCode} ${status}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`)
  }
  lingeringClose(socket)
}
