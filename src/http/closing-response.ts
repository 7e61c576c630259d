// Per-connection mode answers one request per connection. Fastify's onRequest hook can add
// `Connection: close` only to the responses Fastify writes; node:http writes some itself (417 for
// an unknown Expect, 400 for a missing Host), and those kept the connection, and so the
// instance, alive until the deadline. A response class whose shouldKeepAlive is always false
// makes node:http send `Connection: close` and close after every response it writes.
import { ServerResponse, type IncomingMessage } from 'node:http'

export class ClosingServerResponse<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {}

Object.defineProperty(ClosingServerResponse.prototype, 'shouldKeepAlive', {
  get: () => false,
  // node:http assigns it per request from the request's own keep-alive wish: ignore.
  set: () => {},
})
