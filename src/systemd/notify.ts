// sd_notify(3): tell systemd that we are ready, what we are doing, that we are stopping, and that
// we are still alive (the watchdog). NOTIFY_SOCKET is an AF_UNIX datagram socket, which Node
// cannot open (nodejs/node#29339), so the sending is done by a small N-API addon in native/,
// built by node-gyp at `npm ci`. Without NOTIFY_SOCKET every call is a no-op; without the addon
// the service still runs and says once why systemd will not hear from it.
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { getSystemErrorName } from 'node:util'
import type { Env } from '../config.js'

/** The addon (native/sd_notify.c). */
export interface Addon {
  /** 0 when sent, or a negative errno; fds go as SCM_RIGHTS (sd_pid_notify_with_fds). */
  send(address: string, state: string, fds?: readonly number[]): number
  /** What kind of socket fd is (SOCKET_STATE in src/systemd/fd-kind.ts), or a negative errno. */
  socketState(fd: number): number
}

export interface NotifyLog {
  warn(details: object, message: string): void
}

export interface Notifier {
  /** True when NOTIFY_SOCKET was set and the addon is loaded: messages go to systemd. */
  readonly enabled: boolean
  /** WATCHDOG_USEC / 2 in ms, when systemd asked this process for keep-alive pings. */
  readonly watchdogIntervalMs: number | undefined
  /** Sends newline-separated assignments such as "READY=1\nSTATUS=serving". Never throws. */
  send(state: string): void
  /**
   * Sends state with fds attached (FDSTORE=1): undefined once the datagram is queued for
   * systemd, else why not (an errno name such as EAGAIN). Never throws, never warns: the caller
   * keeps what could not be stored.
   */
  sendFds(state: string, fds: readonly number[]): string | undefined
}

export const NOTIFY_ENV = ['NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID'] as const

const ADDON = join('build', 'Release', 'sd_notify.node')

/**
 * Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID when called (the rule in app-options.ts)
 * and unsets them, as sd_notify(unset_environment=1) does, so child processes do not talk to
 * systemd in our name.
 */
export function createNotifier(env: Env, pid: number, log: NotifyLog): Notifier {
  const address = env.NOTIFY_SOCKET
  const watchdogIntervalMs = watchdogInterval(env, pid, log)
  for (const name of NOTIFY_ENV) delete env[name]
  if (address === undefined || address === '') return disabled(undefined)
  const addon = loadAddon(env.DICEROLL_NOTIFY_ADDON)
  if (typeof addon === 'string') {
    log.warn({ notifySocket: address, addon: ADDON }, `cannot notify systemd: ${addon}; the service runs, but a Type=notify unit will time out waiting for READY=1`)
    return disabled(undefined)
  }
  let warned = false
  return {
    enabled: true,
    watchdogIntervalMs,
    send(state) {
      const result = addon.send(address, state)
      if (result === 0 || warned) return
      // Once: the manager may be gone (shutdown) and a line per ping would flood the journal.
      warned = true
      log.warn({ notifySocket: address, errno: errnoName(result) }, `cannot notify systemd at NOTIFY_SOCKET=${address}: ${errnoName(result)}`)
    },
    sendFds(state, fds) {
      const result = addon.send(address, state, fds)
      return result === 0 ? undefined : errnoName(result)
    },
  }
}

function disabled(watchdogIntervalMs: number | undefined): Notifier {
  return { enabled: false, watchdogIntervalMs, send() {}, sendFds: () => 'NOTIFY_SOCKET unset' }
}

/** Half of WATCHDOG_USEC, if it is meant for us: WATCHDOG_PID unset or our pid (sd_watchdog_enabled). */
function watchdogInterval(env: Env, pid: number, log: NotifyLog): number | undefined {
  const { WATCHDOG_USEC: usecText, WATCHDOG_PID: pidText } = env
  if (usecText === undefined || env.NOTIFY_SOCKET === undefined) return undefined
  if (pidText !== undefined && pidText !== String(pid)) return undefined
  const usec = /^\d+$/.test(usecText) ? Number(usecText) : NaN
  if (!(usec > 0)) {
    log.warn({ WATCHDOG_USEC: usecText }, `ignoring WATCHDOG_USEC=${usecText}: not a positive number of microseconds`)
    return undefined
  }
  return Math.max(1, Math.floor(usec / 2000))
}

/** The addon, or why it cannot be loaded, in words a person can act on. */
export function loadAddon(override: string | undefined, from = dirname(fileURLToPath(import.meta.url))): Addon | string {
  const path = override || findAddon(from)
  if (path === undefined || !existsSync(path)) {
    return `the native addon ${override || ADDON} is not built (was npm ci run with --ignore-scripts? run "npm rebuild diceroll", or "npx node-gyp rebuild" in the package)`
  }
  try {
    // process.dlopen(), not require(): the CommonJS loader around the same dlopen(3) (resolving,
    // and its functions, compiled on first use in a snapshot start) cost each start 0.3–0.9 ms.
    const module = { exports: {} as Partial<Record<keyof Addon, unknown>> }
    process.dlopen(module, resolve(path))
    const addon = module.exports
    // Another Node addon: no test has one to load (a file that is no addon at all fails above).
    /* c8 ignore next */
    if (typeof addon.send !== 'function' || typeof addon.socketState !== 'function') return `${path} is not the sd_notify addon`
    return addon as Addon
  } catch (error) {
    return `the native addon ${path} does not load (${(error as Error).message.split('\n')[0]}); rebuild it with "npm rebuild diceroll"`
  }
}

/** build/Release/sd_notify.node in the package: two levels up from dist/systemd/ or src/systemd/ at most (one from the bundle in dist/). */
function findAddon(from: string): string | undefined {
  for (let dir = from, i = 0; i < 3; i++, dir = dirname(dir)) {
    const path = join(dir, ADDON)
    if (existsSync(path)) return path
  }
  return undefined
}

/** -2 → "ENOENT": the addon returns a negative errno, as libuv does. */
function errnoName(result: number): string {
  return getSystemErrorName(result)
}
