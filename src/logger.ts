// pino writing JSON to fd 2 only: in per-connection mode fd 1 can be the client's socket, and a
// stray log line there would end up inside the HTTP response.
import { fstatSync, writeSync } from 'node:fs'
import { pino, symbols, type DestinationStream, type Logger } from 'pino'
import type { Env, LogLevel } from './config.js'

/** Flush a batch at once past this size, so a burst cannot grow it without bound. */
export const BATCH_BYTES = 64 * 1024
/** The longest a batched line waits for its write: what a reader of the journal can lag by. */
export const BATCH_MS = 5

export function createLogger(level: LogLevel, bindings: Record<string, unknown>, batched = false): Logger {
  const logger = pino({ level, base: { pid: process.pid, ...bindings } }, stderrDestination(2, batched))
  // Read when called (the rule in app-options.ts): a startup snapshot would freeze the build's stderr.
  return isJournalStream(process.env, 2) ? withPriorities(logger) : logger
}

/**
 * True when `fd` is the journal stream systemd connected (systemd.exec(5)): JOURNAL_STREAM is
 * `<st_dev>:<st_ino>` of that stream, in decimal. An inherited JOURNAL_STREAM whose fd was since
 * redirected (to a file, a pipe, a terminal) no longer matches.
 */
export function isJournalStream(env: Readonly<Env>, fd: number): boolean {
  const expected = env.JOURNAL_STREAM
  if (!expected) return false
  try {
    // bigint: an inode number past 2^53 would not compare exactly as a double.
    const stat = fstatSync(fd, { bigint: true })
    return expected === `${stat.dev}:${stat.ino}`
  } catch {
    return false
  }
}

/** The syslog priority prefix of sd-daemon(3) for each pino level: what journald stores as PRIORITY. */
const PRIORITY_PREFIX: Record<string, string> = { 60: '<2>', 50: '<3>', 40: '<4>', 30: '<6>', 20: '<7>', 10: '<7>' }

/**
 * Makes every line of `logger` and its children start with its level's priority, for journald,
 * which stores every line of a stream at PRIORITY=6 (info) otherwise: `journalctl -p warning`
 * showed none of our warnings. pino starts each line with a string it keeps per level
 * (`{"level":30`, pino.symbols.lsCacheSym, which request-log.ts writes from too), so the prefix
 * goes there and costs nothing per line, where a stream that prefixed each line would add work
 * to every request. Without that cache (another pino) the lines stay plain.
 */
export function withPriorities(logger: Logger): Logger {
  const starts = (logger as unknown as Record<symbol, Record<string, string>>)[symbols.lsCacheSym] ?? {}
  for (const [level, start] of Object.entries(starts)) {
    const prefix = PRIORITY_PREFIX[level]
    if (prefix !== undefined && !start.startsWith('<')) starts[level] = prefix + start
  }
  return logger
}

/** Prefixes every line of a text written straight to stderr with `<priority>`, on the journal. */
export function journalLines(text: string, priority: number, journal = isJournalStream(process.env, 2)): string {
  return journal ? text.replace(/^(?=.)/gm, `<${priority}>`) : text
}

/**
 * Writes to fd 2 that never throw: on a full disk (ENOSPC), a closed log reader (EPIPE) or a full
 * non-blocking pipe (EAGAIN) the line is dropped and the request goes on. pino.destination()
 * emits 'error' for anything but EPIPE, and that unhandled 'error' crashed the process, in
 * per-connection mode before it answered a 408.
 *
 * Unbatched, every line is written at once: a per-connection instance exits right after its
 * response. Batched (long-lived modes), the lines of BATCH_MS go out in one write, and on exit.
 * A write(2) into the pipe or socket a reader waits on also wakes the reader, which made the log
 * line a sixth of a short connection's CPU when each event-loop turn, serving one connection,
 * wrote its own. A SIGKILL can lose the lines of the last BATCH_MS.
 */
export function stderrDestination(fd = 2, batched = false): DestinationStream {
  const writeNow = (text: string): void => {
    try {
      // The string as it is: copying it into a Buffer first cost a tenth of a request line.
      // A short write (a pipe with less room than the text) goes on from where it stopped.
      const written = writeSync(fd, text)
      if (written === Buffer.byteLength(text)) return
      const bytes = Buffer.from(text)
      // A blocking fd comes back here only when a signal cut a write short, which no test can
      // arrange (the signal lands on any of node's threads); a full non-blocking one throws EAGAIN.
      /* c8 ignore start */
      for (let offset = written; offset < bytes.length;) offset += writeSync(fd, bytes, offset)
    } catch {
      /* c8 ignore stop */
      // Nowhere left to say so.
    }
  }
  if (!batched) return { write: writeNow }
  let pending = ''
  let timer: NodeJS.Timeout | undefined
  const flush = (): void => {
    clearTimeout(timer)
    timer = undefined
    const text = pending
    pending = ''
    writeNow(text)
  }
  process.on('exit', flush)
  return {
    write(line: string): void {
      pending += line
      if (pending.length >= BATCH_BYTES) flush()
      // unref: a line waiting for its write must not keep an otherwise finished process up; the
      // 'exit' flush writes it.
      else timer ??= setTimeout(flush, BATCH_MS).unref()
    },
  }
}
