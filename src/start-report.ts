// How this process was started: from the startup snapshot, from the bundle with or without its
// V8 code cache, or from plain modules. Logged at debug level; a start slower than the launcher
// meant (the host's node changed since the build, say) is a warn line in the long-lived modes
// and part of their STATUS=, so it is seen ("code cache rejected": made by another Node binary).
import type { Notifier } from './systemd/notify.js'

const KEY = Symbol.for('diceroll.start')

export type StartKind = 'snapshot' | 'bundle+code-cache' | 'bundle' | 'modules'

export interface StartReport {
  start: StartKind
  /** Why the faster path was not taken, when it was not (the launcher meant to take it). */
  reason?: string
}

export function markStart(start: StartKind, reason?: string): void {
  ;(globalThis as Record<symbol, unknown>)[KEY] = reason === undefined ? { start } : { start, reason }
}

export function startReport(): StartReport {
  return ((globalThis as Record<symbol, unknown>)[KEY] as StartReport | undefined) ?? { start: 'modules' }
}

/**
 * Adds why this start was slow to every STATUS= line (`systemctl status`), for as long as the
 * process runs: the warn line at start scrolls away, a node upgrade's slowdown must not.
 */
export function withSlowStartStatus(notifier: Notifier, reason = startReport().reason): Notifier {
  if (reason === undefined) return notifier
  return {
    get enabled() {
      return notifier.enabled
    },
    get watchdogIntervalMs() {
      return notifier.watchdogIntervalMs
    },
    send: (state) => notifier.send(state.replace(/^STATUS=.*$/m, (line) => `${line}; slow start: ${reason}`)),
    // The fd store's messages carry no STATUS=; they pass through as they are.
    sendFds: (state, fds) => notifier.sendFds(state, fds),
  }
}
