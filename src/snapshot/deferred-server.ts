// Node 20 cannot keep node:http's parser in a startup snapshot, so the app built into the
// snapshot gets this stand-in as its server (Fastify's documented `serverFactory` option). It
// records what Fastify does to its server at build time; materialize() makes the real
// http.Server at run time, around Fastify's own request handler, and from then on every access
// goes to the real server, so transports keep using app.server as they always did.
import type { Server } from 'node:http'
import type { FastifyServerOptions } from 'fastify'
import { fastifyHttpServer, type Handler } from '../internals.js'

export interface DeferredServer {
  factory: (handler: Handler, options: FastifyServerOptions) => Server
  /** Makes the real server with these (run-time) options over the build-time ones. */
  materialize: (options: FastifyServerOptions) => void
  /** What Fastify's close does for a server it did not listen() itself is left to us. */
  close: () => Promise<void>
  /** Fastify's request handler, for requests run at build time (warm-up.ts). */
  handler: () => Handler
}

const RECORDED = new Set<string | symbol>(['on', 'once', 'addListener', 'prependListener'])

export function deferredServer(): DeferredServer {
  let handler: Handler | undefined
  let built: FastifyServerOptions = {}
  let real: Server | undefined
  const calls: Array<[string | symbol, unknown[]]> = []
  const props = new Map<string | symbol, unknown>()
  const proxy: Server = new Proxy({} as Server, {
    get(_target, key) {
      if (real !== undefined) {
        const value: unknown = Reflect.get(real, key, real)
        return typeof value === 'function' ? value.bind(real) : value
      }
      if (RECORDED.has(key)) {
        return (...args: unknown[]) => {
          calls.push([key, args])
          return proxy
        }
      }
      return props.get(key)
    },
    set(_target, key, value) {
      if (real !== undefined) return Reflect.set(real, key, value, real)
      props.set(key, value)
      return true
    },
  })
  return {
    factory(fastifyHandler, options) {
      handler = fastifyHandler
      built = options
      return proxy
    },
    materialize(options) {
      if (handler === undefined) throw new Error('materialize() before Fastify made its server')
      const server = fastifyHttpServer({ ...built, ...options }, handler)
      for (const [key, value] of props) Reflect.set(server, key, value)
      for (const [method, args] of calls) (server[method as 'on'] as (...a: unknown[]) => unknown)(...args)
      real = server
    },
    handler() {
      if (handler === undefined) throw new Error('handler() before Fastify made its server')
      return handler
    },
    close() {
      return new Promise((resolve) => {
        if (real === undefined) resolve()
        else real.close(() => resolve())
      })
    },
  }
}
