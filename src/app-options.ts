// What an app is given for the run that serves with it. The app can be built long before that
// run, into the startup snapshot (src/snapshot/), and everything computed then is frozen into
// every process started from it. So the rule for every module under src/ is:
//
//   never read env, pid, randomness or config at import (nor while the snapshot's app is built).
//
// main() (run.ts) reads them at run time and hands them over here; the app reads these options
// when requests arrive, never when it is made. test/import-time.ts fails when a module reads
// process.env, process.pid or random bytes as it loads.
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import type { RandomInt } from './dice.js'

export interface AppOptions {
  /** A pino logger (fd 2), or undefined for silence in tests. */
  logger?: FastifyBaseLogger
  /** Injectable for tests; defaults to unbiased draws from the kernel's random bytes (random.ts). */
  randomInt?: RandomInt
  /** Answer every request with `Connection: close` (per-connection mode serves one request). */
  closeEachConnection?: boolean
  /** Bounds the time to receive one whole request (slow clients). */
  requestTimeoutMs?: number
  /** The client address systemd gives a per-connection instance (REMOTE_ADDR), if any. */
  remoteAddress?: string
}

/** What the startup snapshot prepared (snapshot/prebuilt.ts), handed to main() by its entry. */
export interface Prebuilt {
  /** The app built ahead of time, now given the run's options; undefined once taken. */
  take(options: AppOptions): FastifyInstance | undefined
}
