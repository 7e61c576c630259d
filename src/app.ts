// The application factory: plugins, routes and logging, and no I/O. Transports decide how
// connections reach app.server; tests use app.inject().
import { randomInt as cryptoRandomInt } from 'node:crypto'
import { fastify, LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import fastifySensible from '@fastify/sensible'
import { clientErrorHandler } from './client-error.js'
import { ClosingServerResponse } from './closing-response.js'
import type { RandomInt } from './dice.js'
import { rollRoutes } from './routes/roll.js'

export interface AppOptions {
  /** A pino logger (fd 2), or undefined for silence in tests. */
  logger?: FastifyBaseLogger
  /** Injectable for tests; defaults to crypto.randomInt, which is unbiased. */
  randomInt?: RandomInt
  /** Answer every request with `Connection: close` (per-connection mode serves one request). */
  closeEachConnection?: boolean
  /** Bounds the time to receive one whole request (slow clients). */
  requestTimeoutMs?: number
  /** The client address systemd gives a per-connection instance (REMOTE_ADDR), if any. */
  remoteAddress?: string
}

const defaultRandomInt: RandomInt = (min, max) => cryptoRandomInt(min, max + 1)

/** One log line per request, written when the response is done. */
class RequestLineLog extends LogController {
  constructor(private readonly remoteAddress: string | undefined) {
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
    const line = {
      method: request.method,
      url: request.url,
      statusCode: reply.statusCode,
      responseTimeMs: Math.round(reply.elapsedTime * 100) / 100,
      remoteAddress: this.remoteAddress ?? request.socket.remoteAddress ?? 'unix',
      err: error ?? undefined,
    }
    if (error || reply.statusCode >= 500) reply.log.error(line, 'request')
    else reply.log.info(line, 'request')
  }
}

export function buildApp(options: AppOptions = {}): FastifyInstance {
  const app = fastify({
    ...(options.logger ? { loggerInstance: options.logger } : {}),
    logController: new RequestLineLog(options.remoteAddress),
    requestTimeout: options.requestTimeoutMs ?? 0,
    // A request that reached us while we stop is still served: a 503 would lose it.
    return503OnClosing: false,
    forceCloseConnections: false,
    ajv: { customOptions: { removeAdditional: false } },
    clientErrorHandler,
    // No byte in either direction for this long closes a connection in the middle of a request
    // or response: a client that pipelines requests and never reads held one open forever.
    // Idle keep-alive connections follow keepAliveTimeout instead.
    connectionTimeout: options.requestTimeoutMs ?? 0,
    http: {
      ...(options.closeEachConnection ? { ServerResponse: ClosingServerResponse } : {}),
      // node:http checks requestTimeout and headersTimeout only this often (default 30 s, so a
      // slow client outlived a 1 s --request-timeout by up to 30 s).
      connectionsCheckingInterval: checkingInterval(options.requestTimeoutMs ?? 0),
    },
  })
  app.register(fastifySensible)
  if (options.closeEachConnection) {
    // Says so in Fastify's own responses (and in app.inject(), which never sees ClosingServerResponse).
    app.addHook('onRequest', async (_request, reply) => {
      reply.header('connection', 'close')
    })
  }
  app.get('/healthz', async () => ({ status: 'ok' }))
  app.after(() => rollRoutes(app, options.randomInt ?? defaultRandomInt))
  return app
}

/** A quarter of the request timeout, between 250 ms and 1 s: late by at most that much. */
function checkingInterval(requestTimeoutMs: number): number {
  return Math.min(1000, Math.max(250, Math.floor(requestTimeoutMs / 4)))
}
