// A logger that forwards every call to another one, found only when it is used. Two places need
// that: the app built into the startup snapshot, which exists before there is a logger (the real
// pino logger is made at run time, with the level from the config and the real pid), and
// Fastify's per-request child loggers, which most requests never use and so are made on first use.
import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify'
import { LOG_LEVELS } from './config.js'

type Bindings = Parameters<FastifyBaseLogger['child']>[0]
type ChildOptions = Parameters<FastifyBaseLogger['child']>[1]

/** Forwards to target(); while that is undefined, calls are dropped and the level is 'silent'. */
abstract class LoggerForwarder {
  protected abstract target(): FastifyBaseLogger | undefined

  get level(): string {
    return this.target()?.level ?? 'silent'
  }

  set level(level: string) {
    const logger = this.target()
    if (logger !== undefined) logger.level = level
  }

  child(bindings: Bindings, options?: ChildOptions): FastifyBaseLogger {
    return this.target()?.child(bindings, options) ?? (this as unknown as FastifyBaseLogger)
  }
}

for (const level of LOG_LEVELS) {
  Object.defineProperty(LoggerForwarder.prototype, level, {
    value(this: LoggerForwarder, ...args: unknown[]) {
      const logger = (this as unknown as { target(): Record<string, (...a: unknown[]) => void> | undefined }).target()
      logger?.[level]?.(...args)
    },
  })
}

class DeferredLogger extends LoggerForwarder {
  constructor(private readonly current: () => FastifyBaseLogger | undefined) {
    super()
  }

  protected target(): FastifyBaseLogger | undefined {
    return this.current()
  }
}

/** The snapshot's app logs through this until the run gives it a logger (snapshot/prebuilt.ts). */
export function deferredLogger(current: () => FastifyBaseLogger | undefined): FastifyBaseLogger {
  return new DeferredLogger(current) as unknown as FastifyBaseLogger
}

class LazyChild extends LoggerForwarder {
  #real: FastifyBaseLogger | undefined

  constructor(private readonly parent: FastifyBaseLogger, private readonly bindings: Bindings, private readonly options: ChildOptions) {
    super()
  }

  protected target(): FastifyBaseLogger {
    this.#real ??= this.parent.child(this.bindings, this.options)
    return this.#real
  }
}

/**
 * Fastify's childLoggerFactory: request.log and reply.log, made into a real pino child only when
 * a request logs something through them (an error, or a handler that logs).
 */
export const lazyRequestLogger: NonNullable<FastifyServerOptions['childLoggerFactory']> = (parent, bindings, options) =>
  new LazyChild(parent, bindings, options) as unknown as FastifyBaseLogger
