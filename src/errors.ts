// One registry for every error diceroll reports: a stable code, an exit code for the errors that
// end the process, and a message that says what is wrong and how to fix it (docs/errors.md).

/**
 * Process exit codes. 2 and 6 match the LSB meanings systemd prints in `systemctl status`
 * ("status=2/INVALIDARGUMENT", "status=6/NOTCONFIGURED"); the others are ours.
 */
export const EXIT = {
  OK: 0,
  INTERNAL: 1,
  USAGE: 2,
  ACTIVATION: 6,
  LISTEN: 10,
  REQUEST_TIMEOUT: 11,
  FORCED_STOP: 12,
} as const

export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

export class DicerollError extends Error {
  readonly code: string
  readonly exitCode: ExitCode

  constructor(code: string, message: string, exitCode: ExitCode) {
    super(message)
    this.name = 'DicerollError'
    this.code = code
    this.exitCode = exitCode
  }
}

/** A bad command-line flag, or a bad value in HOST/PORT. */
export function usageError(message: string): DicerollError {
  return new DicerollError('DICEROLL_ERR_USAGE', `${message}; run diceroll --help for the flags`, EXIT.USAGE)
}

/** The activation environment (LISTEN_*, the passed fds or stdin) cannot be used. */
export function activationError(message: string): DicerollError {
  return new DicerollError('DICEROLL_ERR_ACTIVATION', message, EXIT.ACTIVATION)
}

/** Standalone mode could not listen on its address. */
export function listenError(address: string, cause: NodeJS.ErrnoException): DicerollError {
  const fixes: Record<string, string> = {
    EADDRINUSE: 'address already in use: stop the other process or choose another --port',
    EACCES: 'permission denied: ports below 1024 need privileges, choose --port above 1023',
    EADDRNOTAVAIL: 'no such local address: choose a --host this machine has, e.g. 127.0.0.1',
  }
  const why = (cause.code !== undefined && fixes[cause.code]) || cause.message
  return new DicerollError('DICEROLL_ERR_LISTEN', `cannot listen on ${address}: ${why}`, EXIT.LISTEN)
}

/**
 * The one line a person reads on stderr when diceroll cannot start, and its syslog priority on
 * the journal: err (3) for a setup the message says how to fix, crit (2, as pino's fatal) for a bug.
 */
export function formatFatal(error: unknown): { line: string; exitCode: ExitCode; priority: 2 | 3 } {
  if (error instanceof DicerollError) {
    return { line: `diceroll: ${error.message} [${error.code}]`, exitCode: error.exitCode, priority: 3 }
  }
  const message = error instanceof Error && error.stack ? error.stack : String(error)
  return { line: `diceroll: internal error, please report it: ${message}`, exitCode: EXIT.INTERNAL, priority: 2 }
}
