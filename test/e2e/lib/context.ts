// What every group of checks shares: the booted VM, the guest it runs, and the ports.
import type { Guest } from './guests.js'
import { figure } from './progress.js'
import type { Vm } from './vm.js'

export const LISTENER = 5000
export const PER_CONNECTION = 5001
export const SOCKETS = 'diceroll-listener.socket diceroll.socket'
export const UNIT_FILES = ['diceroll-listener.socket', 'diceroll.socket', 'diceroll.service', 'diceroll@.service', 'diceroll-rebuild.path', 'diceroll-rebuild.service']
export const ROLL = /^\{(?:"dice":"[^"]+","rolls":\[[\d,]+\],)?"result":\d+\}$/

export interface Context {
  vm: Vm
  guest: Guest
  /** The host port forwarded to `guestPort`. */
  port: (guestPort: number) => number
}

export async function timed<T>(what: string, fn: () => Promise<T>): Promise<T> {
  const started = Date.now()
  const value = await fn()
  figure(what, `${((Date.now() - started) / 1000).toFixed(1)} s`)
  return value
}
