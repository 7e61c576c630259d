// Closing a TCP socket that still has unread data in its receive buffer makes the kernel send an
// RST instead of a FIN, and the RST can destroy a response the client has not read yet: a client
// still sending a body we did not need, pipelined requests, bytes after a malformed request. So we
// close like Apache's lingering_close: FIN after the response, then read and discard what the
// client still sends until it closes its side or a short bound passes, then close.
import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import { lastRequest, unconsumeParser } from '../internals.js'

/** Longest a closing connection is drained; Apache uses 2 s too (MAX_SECS_TO_LINGER). */
export const LINGER_MS = 2000

const lingering = new WeakSet<Socket>()
/** Connections whose client sent more than its requests: their close lingers, whatever they asked. */
const mustDrain = new WeakSet<Socket>()

export function lingeringClose(socket: Socket, lingerMs = LINGER_MS): void {
  if (socket.destroyed || lingering.has(socket)) return
  lingering.add(socket)
  // node:http reads the socket from C++ (parser.consume) and would go on parsing and answering
  // requests; give the reads back to the stream, where we drop them.
  unconsumeParser(socket)
  socket.removeAllListeners('data')
  // node:http's own 'end' handler would end() this socket again once the client closes, and a
  // second end() on a finished stream builds an ERR_STREAM_ALREADY_FINISHED, stack and all, that
  // nobody sees, on every short connection. (net's 'end' handler only matters for sockets
  // without allowHalfOpen, and only to writes, of which there are no more.)
  socket.removeAllListeners('end')
  socket.on('data', discard)
  // A reset while draining changes nothing for us: the response has been handed to the kernel.
  socket.on('error', discard)
  // net sockets destroy themselves (autoDestroy) once both sides are done: our FIN sent and the
  // client's received. Closures to watch for both would cost every short connection CPU.
  const bound = setTimeout(destroyNow, Math.max(0, lingerMs), socket)
  socket.once('close', () => clearTimeout(bound))
  socket.end()
  socket.resume()
}

function destroyNow(socket: Socket): void {
  socket.destroy()
}

function discard(): void {}

/**
 * Makes node:http's close after a `Connection: close` response (destroySoon) a lingering one,
 * unless the client asked for the close itself, after a request it sent whole: such a client
 * sends nothing more (RFC 9112 section 9.6), so there is nothing to drain, and node:http's own
 * close (FIN, then close once the response is written) is enough. nginx decides alike. Waiting
 * for that client's FIN anyway cost each short connection a wake-up, a read and a timer: an
 * eighth of its CPU.
 */
export function lingerOnClose(socket: Socket, lingerMs: () => number = () => LINGER_MS): void {
  const closeWhenWritten = socket.destroySoon
  socket.destroySoon = () => {
    const ms = lingerMs()
    if (!mustDrain.has(socket) && clientClosesAfter(lastRequest(socket))) closeWhenWritten.call(socket)
    else lingeringClose(socket, ms)
  }
}

/** The client sent bytes after a request that said it closes (client-error.ts): drain them too. */
export function drainOnClose(socket: Socket): void {
  mustDrain.add(socket)
}

const CLOSE = /(?:^|,)[\t ]*close[\t ]*(?:,|$)/i
const KEEP_ALIVE = /(?:^|,)[\t ]*keep-alive[\t ]*(?:,|$)/i

/** True for a request read to its end whose client closes after the response (RFC 9112 section 9.3). */
export function clientClosesAfter(request: IncomingMessage | undefined): boolean {
  if (request === undefined || !request.complete) return false
  const connection = request.headers.connection ?? ''
  if (CLOSE.test(connection)) return true
  return request.httpVersion === '1.0' && !KEEP_ALIVE.test(connection)
}
