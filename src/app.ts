// The application factory: plugins, routes and logging, and no I/O. Transports decide how
// connections reach app.server; tests use app.inject().
import type { Server } from 'node:http'
import { fastify, type FastifyHttpOptions, type FastifyInstance } from 'fastify'
import fastifySensible from '@fastify/sensible'
import type { AppOptions, Prebuilt } from './app-options.js'
import { answeredMissingHost, answerUnsupportedExpect, clientErrorHandler } from './http/client-error.js'
import { ClosingServerResponse } from './http/closing-response.js'
import type { RandomInt } from './dice.js'
import { randomIntFrom } from './random.js'
import { logAbortedRequest, RequestLineLog } from './http/request-log.js'
import { lazyRequestLogger } from './logger-forwarder.js'
import { healthRoutes } from './routes/health.js'
import { rollRoutes } from './routes/roll.js'
import { buildSerializer, buildValidator } from './schema-compilers.js'
import { startReport } from './start-report.js'

export type { AppOptions, Prebuilt } from './app-options.js'

const defaultRandomInt: RandomInt = randomIntFrom()

/**
 * Builds the app, or takes the one the startup snapshot built ahead of time (`prebuilt`),
 * configured with these options.
 */
export function buildApp(options: AppOptions = {}, prebuilt?: Prebuilt): FastifyInstance {
  const app = prebuilt?.take(options) ?? createApp(options, fastifyOptions(options))
  const report = startReport()
  // Per-connection instances would repeat it per connection: they keep it at debug level.
  if (report.reason !== undefined && options.closeEachConnection !== true) options.logger?.warn(report, `slow start: ${report.reason}`)
  else options.logger?.debug(report, 'started')
  return app
}

/** The Fastify options that follow from AppOptions; the snapshot applies the server ones late. */
export function fastifyOptions(options: AppOptions): FastifyHttpOptions<Server> {
  return {
    requestTimeout: options.requestTimeoutMs ?? 0,
    // A request that reached us while we stop is still served: a 503 would lose it.
    return503OnClosing: false,
    forceCloseConnections: false,
    ajv: { customOptions: { removeAdditional: false } },
    clientErrorHandler,
    // No byte in either direction for this long closes a connection in the middle of a request
    // or response: a client that pipelines requests and never reads held one open forever.
    // Idle keep-alive connections follow keepAliveTimeout instead. It must end after the request
    // timeout has had its check: at the same length, a client that sent nothing or half a request
    // was closed without its 408 (node:http closes a timed-out socket silently, and checks for
    // request timeouts only every connectionsCheckingInterval).
    connectionTimeout: connectionTimeout(options.requestTimeoutMs ?? 0),
    http: {
      ...(options.closeEachConnection ? { ServerResponse: ClosingServerResponse } : {}),
      // Answered and logged by the app instead (client-error.ts).
      requireHostHeader: false,
      // node:http checks requestTimeout and headersTimeout only this often (default 30 s, so a
      // slow client outlived a 1 s --request-timeout by up to 30 s).
      connectionsCheckingInterval: checkingInterval(options.requestTimeoutMs ?? 0),
    },
    // Fastify's types describe Ajv's own functions; ours keep to its calling convention.
    schemaController: { compilersFactory: { buildValidator, buildSerializer } as never },
  }
}

/**
 * The app itself. `options` is read when requests arrive, not now, so that an app built into
 * the startup snapshot can be given its run-time options afterwards.
 */
export function createApp(options: AppOptions, fastifyOpts: FastifyHttpOptions<Server>): FastifyInstance {
  const app = fastify({
    ...fastifyOpts,
    ...(options.logger ? { loggerInstance: options.logger } : {}),
    logController: new RequestLineLog(options),
    childLoggerFactory: lazyRequestLogger,
  })
  app.register(fastifySensible)
  // A callback hook, not an async one: it runs on every request in every mode (the snapshot's
  // app is built before the mode is known), and a promise per request costs listener throughput.
  app.addHook('onRequest', (request, reply, done) => {
    if (options.closeEachConnection) reply.header('connection', 'close')
    if (!answeredMissingHost(request, reply)) done()
  })
  app.server.on('checkExpectation', answerUnsupportedExpect.bind(app))
  app.addHook('onRequestAbort', logAbortedRequest(options))
  app.register(healthRoutes)
  // The source is looked up per roll: a prebuilt app gets its options late.
  app.register(rollRoutes, { randomInt: (min, max) => (options.randomInt ?? defaultRandomInt)(min, max) })
  return app
}

/** A quarter of the request timeout, between 250 ms and 1 s: late by at most that much. */
function checkingInterval(requestTimeoutMs: number): number {
  return Math.min(1000, Math.max(250, Math.floor(requestTimeoutMs / 4)))
}

/** Two checks after the request timeout: the one that answers 408 always comes first. */
export function connectionTimeout(requestTimeoutMs: number): number {
  return requestTimeoutMs === 0 ? 0 : requestTimeoutMs + 2 * checkingInterval(requestTimeoutMs)
}
