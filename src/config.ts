// The command line and environment, parsed in one place into a typed Config, or a usage error
// that names the flag and how to fix it.
import { usageError } from './errors.js'

export const MODES = ['auto', 'standalone', 'listener', 'per-connection'] as const
export type Mode = (typeof MODES)[number]

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

export interface Config {
  mode: Mode
  host: string
  port: number
  /** 0 = never exit when idle. */
  idleTimeoutMs: number
  /** Bounds one request (listener, standalone) or the whole instance (per-connection). */
  requestTimeoutMs: number
  /** How long an idle keep-alive connection is kept (advertised as Keep-Alive: timeout=). */
  keepAliveTimeoutMs: number
  /** Bounds a graceful stop; connections still open then are cut (exit code 12). */
  stopTimeoutMs: number
  logLevel: LogLevel
  /**
   * FileDescriptorStoreMax= of the unit: how many idle connections a stop may hand to systemd's
   * fd store (docs/lifecycle.md); 0 = no store, drain them instead.
   */
  fdStoreMax: number
  help: boolean
}

export const USAGE = `Usage: diceroll [--mode=auto|standalone|listener|per-connection] [--host=H] [--port=N]
                [--idle-timeout=SECONDS] [--request-timeout=SECONDS] [--keep-alive-timeout=SECONDS]
                [--stop-timeout=SECONDS] [--log-level=LEVEL] [--help]

A dice-rolling HTTP service built for systemd socket activation.

  --mode=MODE               auto (default): listener if systemd passed listening sockets,
                            per-connection if it passed one connection (fd 3 or stdin),
                            standalone otherwise
  --host=H, --port=N        standalone address (env HOST, PORT; default 127.0.0.1:5000)
  --idle-timeout=SECONDS    listener: exit after this long without connections (0 = never; default 0)
  --request-timeout=SECONDS longest a request may take; per-connection: the instance's deadline (default 10)
  --keep-alive-timeout=SECONDS  how long an idle keep-alive connection stays open (default 5)
  --stop-timeout=SECONDS    on SIGTERM/SIGINT, longest wait for open connections before cutting
                            them and exiting 12 (default 10; keep it under TimeoutStopSec=)
  --log-level=LEVEL         ${LOG_LEVELS.join(', ')} (default info); logs are JSON on stderr
  --help                    show this text

Docs: docs/activation.md (modes, exit codes), docs/errors.md.
`

/** process.env, or a stand-in for it in tests. */
export type Env = Record<string, string | undefined>

const FLAGS = ['mode', 'host', 'port', 'idle-timeout', 'request-timeout', 'keep-alive-timeout', 'stop-timeout', 'log-level', 'help'] as const
type Flag = (typeof FLAGS)[number]

export function parseConfig(argv: readonly string[], env: Readonly<Env>): Config {
  const given = readFlags(argv)
  const portText = given.port ?? env.PORT
  return {
    mode: oneOf('--mode', given.mode ?? 'auto', MODES),
    host: parseHost(given.host === undefined ? env.HOST : given.host, given.host === undefined ? 'HOST' : '--host'),
    port: portText === undefined ? 5000 : parsePort(portText, given.port === undefined ? 'PORT' : '--port'),
    idleTimeoutMs: seconds('--idle-timeout', given['idle-timeout'] ?? '0', 0),
    requestTimeoutMs: seconds('--request-timeout', given['request-timeout'] ?? '10', 0.001),
    keepAliveTimeoutMs: seconds('--keep-alive-timeout', given['keep-alive-timeout'] ?? '5', 0.001),
    stopTimeoutMs: seconds('--stop-timeout', given['stop-timeout'] ?? '10', 0.001),
    logLevel: oneOf('--log-level', given['log-level'] ?? 'info', LOG_LEVELS),
    fdStoreMax: fdStoreMax(env),
    help: given.help !== undefined,
  }
}

function readFlags(argv: readonly string[]): Partial<Record<Flag, string>> {
  const given: Partial<Record<Flag, string>> = {}
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (!arg.startsWith('--')) {
      throw usageError(`unexpected argument "${arg}": diceroll takes only --flags`)
    }
    const eq = arg.indexOf('=')
    const name = (eq === -1 ? arg.slice(2) : arg.slice(2, eq)) as Flag
    if (!FLAGS.includes(name)) {
      throw usageError(`unknown flag --${name}`)
    }
    if (given[name] !== undefined) {
      throw usageError(`--${name} is given twice: keep one`)
    }
    if (name === 'help') {
      if (eq !== -1) throw usageError('--help takes no value')
      given.help = ''
      continue
    }
    if (eq !== -1) {
      given[name] = arg.slice(eq + 1)
    } else if (i + 1 < argv.length && !(argv[i + 1] as string).startsWith('--')) {
      given[name] = argv[++i] as string
    } else {
      throw usageError(`--${name} needs a value, e.g. --${name}=${example(name)}`)
    }
  }
  return given
}

function example(flag: Flag): string {
  const examples: Record<Flag, string> = {
    mode: 'listener', host: '127.0.0.1', port: '5000', 'idle-timeout': '60',
    'request-timeout': '10', 'keep-alive-timeout': '5', 'stop-timeout': '10', 'log-level': 'info', help: '',
  }
  return examples[flag]
}

function oneOf<T extends string>(flag: string, value: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(value)) return value as T
  throw usageError(`${flag}=${value} is not valid: use one of ${choices.join(', ')}`)
}

function parseHost(value: string | undefined, source: string): string {
  if (value === undefined) return '127.0.0.1'
  if (value === '' || /\s/.test(value)) {
    throw usageError(`${source}="${value}" is not a host: give an address such as 127.0.0.1, ::1 or 0.0.0.0`)
  }
  return value
}

function parsePort(value: string, source: string): number {
  const port = /^\d{1,5}$/.test(value) ? Number(value) : NaN
  if (!(port >= 0 && port <= 65535)) {
    throw usageError(`${source}=${value} is not a port: give a whole number from 0 to 65535 (0 picks a free port)`)
  }
  return port
}

/**
 * systemd >= 254 sets FDSTORE to FileDescriptorStoreMax= (systemd.exec(5)); older ones set
 * nothing, so the unit says it in DICEROLL_FDSTORE. FDSTORE wins: it is what PID 1 will keep.
 */
function fdStoreMax(env: Readonly<Env>): number {
  const [name, value] = env.FDSTORE !== undefined ? ['FDSTORE', env.FDSTORE] : ['DICEROLL_FDSTORE', env.DICEROLL_FDSTORE]
  if (value === undefined) return 0
  if (!/^\d{1,9}$/.test(value)) {
    throw usageError(`${name}=${value} is not valid: give the unit's FileDescriptorStoreMax=, a whole number (0 = no fd store)`)
  }
  return Number(value)
}

function seconds(flag: string, value: string, min: number): number {
  const secs = /^\d+(\.\d+)?$/.test(value) ? Number(value) : NaN
  if (!(secs >= min) || secs > 86_400 * 365) {
    const range = min === 0 ? 'a number of seconds, 0 or more' : 'a number of seconds greater than 0'
    throw usageError(`${flag}=${value} is not valid: give ${range}, e.g. ${flag}=${min === 0 ? '60' : '10'}`)
  }
  return Math.round(secs * 1000)
}
