// Unbiased dice from the kernel's random bytes (/dev/urandom, the source behind getrandom(2)),
// read through node:fs rather than node:crypto. node:crypto and the internals it loads made every
// instance's startup snapshot bigger, and each per-connection start slower and larger in memory,
// for one function (docs/benchmarks.md). The method is crypto.randomInt's: 48-bit values,
// rejection sampling, a pool of bytes refilled when used up.
import { openSync, readSync } from 'node:fs'
import type { RandomInt } from './dice.js'

/** Fills a buffer with random bytes; throws if it cannot. */
export type FillRandom = (bytes: Buffer) => void

/** The largest 48-bit value: ranges up to this size are drawn without bias. */
const RAND_MAX = 0xffff_ffff_ffff
/** 680 draws per refill: one read(2) per 680 dice in a long-lived listener. */
const POOL_BYTES = 6 * 680

let urandomFd: number | undefined

/**
 * Opens /dev/urandom for the life of the process. main() calls it before serving: under a flood
 * that takes every fd the process may have, a draw must not need a new one (node:crypto's
 * getrandom(2) needed none, and a flood under `ulimit -n 256` answered 500s without this).
 * Never at build time: an fd would mean nothing in another process.
 */
export function openUrandom(): void {
  urandomFd ??= openSync('/dev/urandom', 'r')
}

export function fillFromUrandom(bytes: Buffer): void {
  openUrandom()
  for (let filled = 0; filled < bytes.length;) filled += readSync(urandomFd as number, bytes, filled, bytes.length - filled, null)
}

/**
 * A RandomInt over a byte source. The pool is filled on the first draw, never before: an app
 * built into the startup snapshot must not carry random bytes that every instance would share.
 */
export function randomIntFrom(fill: FillRandom = fillFromUrandom): RandomInt {
  let pool: Buffer | undefined
  let offset = POOL_BYTES
  const next48 = (): number => {
    if (offset === POOL_BYTES) {
      pool ??= Buffer.allocUnsafe(POOL_BYTES)
      fill(pool)
      offset = 0
    }
    const value = (pool as Buffer).readUIntBE(offset, 6)
    offset += 6
    return value
  }
  return (min, max) => {
    const range = max - min + 1
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || range < 1 || range > RAND_MAX) {
      throw new RangeError(`cannot draw from ${min}..${max}: it takes safe integers min <= max, at most 2^48 - 1 apart`)
    }
    // The largest multiple of `range` below RAND_MAX: values at or above it would favour the
    // low results, so they are drawn again (at most half of all draws, for range > 2^47).
    const limit = RAND_MAX - (RAND_MAX % range)
    for (;;) {
      const value = next48()
      if (value < limit) return min + (value % range)
    }
  }
}
