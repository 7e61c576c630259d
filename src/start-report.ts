// How this process was started: from the startup snapshot, from the bundle with or without its
// V8 code cache, or from plain modules. Logged at debug level, so a slow start can be explained
// ("code cache rejected": the cache was made by another Node binary, rebuild it).
const KEY = Symbol.for('diceroll.start')

export type StartKind = 'snapshot' | 'bundle+code-cache' | 'bundle' | 'modules'

export interface StartReport {
  start: StartKind
  /** Why the faster path was not taken, when it was not. */
  reason?: string
}

export function markStart(start: StartKind, reason?: string): void {
  ;(globalThis as Record<symbol, unknown>)[KEY] = reason === undefined ? { start } : { start, reason }
}

export function startReport(): StartReport {
  return ((globalThis as Record<symbol, unknown>)[KEY] as StartReport | undefined) ?? { start: 'modules' }
}
