// The app in the snapshot is built before there is a logger: the real pino logger is made at
// run time (level from the config, the real pid). Fastify gets this forwarder instead; it makes
// its per-request child loggers at request time, so they come from the real logger.
import type { FastifyBaseLogger } from 'fastify'

const METHODS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

export function deferredLogger(current: () => FastifyBaseLogger | undefined): FastifyBaseLogger {
  const forwarder = {
    get level() {
      return current()?.level ?? 'silent'
    },
    set level(level: string) {
      const logger = current()
      if (logger !== undefined) logger.level = level
    },
    child(bindings: Record<string, unknown>, options?: Record<string, unknown>) {
      return current()?.child(bindings, options) ?? forwarder
    },
  } as Record<string, unknown>
  for (const method of METHODS) {
    forwarder[method] = (...args: unknown[]) => {
      const logger = current() as unknown as Record<string, (...a: unknown[]) => void> | undefined
      logger?.[method]?.(...args)
    }
  }
  return forwarder as unknown as FastifyBaseLogger
}
