// pino writing JSON to fd 2 only: in per-connection mode fd 1 can be the client's socket, and a
// stray log line there would end up inside the HTTP response.
import { writeSync } from 'node:fs'
import { pino, type DestinationStream, type Logger } from 'pino'
import type { LogLevel } from './config.js'

/** Flush a batch at once past this size, so a burst cannot grow it without bound. */
export const BATCH_BYTES = 64 * 1024

export function createLogger(level: LogLevel, bindings: Record<string, unknown>, batched = false): Logger {
  return pino({ level, base: { pid: process.pid, ...bindings } }, stderrDestination(2, batched))
}

/**
 * Writes to fd 2 that never throw: on a full disk (ENOSPC), a closed log reader (EPIPE) or a full
 * non-blocking pipe (EAGAIN) the line is dropped and the request goes on. pino.destination()
 * emits 'error' for anything but EPIPE, and that unhandled 'error' crashed the process, in
 * per-connection mode before it answered a 408.
 *
 * Unbatched, every line is written at once: a per-connection instance exits right after its
 * response. Batched (long-lived modes), the lines of one event-loop turn go out in one write at
 * the end of the turn, and on exit: one write(2) per request cost a quarter of the listener's
 * keep-alive throughput. A SIGKILL can lose the lines of the turn it interrupts.
 */
export function stderrDestination(fd = 2, batched = false): DestinationStream {
  const writeNow = (text: string): void => {
    const bytes = Buffer.from(text)
    try {
      for (let offset = 0; offset < bytes.length;) offset += writeSync(fd, bytes, offset)
    } catch {
      // Nowhere left to say so.
    }
  }
  if (!batched) return { write: writeNow }
  let pending = ''
  let scheduled = false
  const flush = (): void => {
    scheduled = false
    const text = pending
    pending = ''
    writeNow(text)
  }
  process.on('exit', flush)
  return {
    write(line: string): void {
      pending += line
      if (pending.length >= BATCH_BYTES) flush()
      else if (!scheduled) {
        scheduled = true
        setImmediate(flush)
      }
    },
  }
}
