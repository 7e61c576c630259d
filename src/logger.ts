// pino writing JSON to fd 2 only: in per-connection mode fd 1 can be the client's socket, and a
// stray log line there would end up inside the HTTP response.
import { writeSync } from 'node:fs'
import { pino, type DestinationStream, type Logger } from 'pino'
import type { LogLevel } from './config.js'

export function createLogger(level: LogLevel, bindings: Record<string, unknown>): Logger {
  return pino({ level, base: { pid: process.pid, ...bindings } }, stderrDestination())
}

/**
 * Synchronous writes to fd 2 (a per-connection instance exits right after its response, and an
 * asynchronous destination could lose the request's log line) that never throw: on a full disk
 * (ENOSPC), a closed log reader (EPIPE) or a full non-blocking pipe (EAGAIN) the line is dropped
 * and the request goes on. pino.destination() emits 'error' for anything but EPIPE, and that
 * unhandled 'error' crashed the process, in per-connection mode before it answered a 408.
 */
export function stderrDestination(fd = 2): DestinationStream {
  return {
    write(line: string): void {
      const bytes = Buffer.from(line)
      try {
        for (let offset = 0; offset < bytes.length;) offset += writeSync(fd, bytes, offset)
      } catch {
        // Nowhere left to say so.
      }
    },
  }
}
