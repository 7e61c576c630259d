// pino writing JSON to fd 2 only: in per-connection mode fd 1 can be the client's socket, and a
// stray log line there would end up inside the HTTP response.
import { pino, type Logger } from 'pino'
import type { LogLevel } from './config.js'

export function createLogger(level: LogLevel, bindings: Record<string, unknown>): Logger {
  // Synchronous writes: a per-connection instance exits right after its response, and an
  // asynchronous destination could lose the request's log line.
  return pino({ level, base: { pid: process.pid, ...bindings } }, pino.destination({ dest: 2, sync: true }))
}
