// The dice's random source: lazy, unbiased by rejection, and fed by the kernel.
import t from 'tap'
import { readdirSync, readlinkSync } from 'node:fs'
import { fillFromUrandom, openUrandom, randomIntFrom } from '../src/random.js'

const RAND_MAX = 2 ** 48 - 1

/** A byte source that hands out these 48-bit values, then zeros, and counts its refills. */
function scripted(values: number[]) {
  let fills = 0
  const fill = (bytes: Buffer): void => {
    fills++
    bytes.fill(0)
    for (let slot = 0; slot * 6 < bytes.length && values.length > 0; slot++) bytes.writeUIntBE(values.shift() as number, slot * 6, 6)
  }
  return { fill, fills: () => fills }
}

t.test('a value maps to min + value % range', async (t) => {
  const source = scripted([7, 0, 11, 123456789])
  const draw = randomIntFrom(source.fill)
  t.same([draw(1, 6), draw(1, 6), draw(1, 6), draw(2, 1000)], [2, 1, 6, 2 + (123456789 % 999)])
})

t.test('values at or above the last whole multiple of the range are drawn again', async (t) => {
  // 2^48 - 1 leaves 3 over a multiple of 6: the top three values would favour 1, 2 and 3.
  const limit = RAND_MAX - (RAND_MAX % 6)
  t.equal(RAND_MAX % 6, 3)
  const draw = randomIntFrom(scripted([limit, RAND_MAX, limit - 1]).fill)
  t.equal(draw(1, 6), 1 + ((limit - 1) % 6))
  const whole = randomIntFrom(scripted([RAND_MAX - 1]).fill)
  t.equal(whole(0, RAND_MAX - 1), RAND_MAX - 1, 'a range of 2^48 - 1 rejects nothing below it')
})

t.test('no bytes are read before the first draw, then one refill per 680 draws', async (t) => {
  const source = scripted([])
  const draw = randomIntFrom(source.fill)
  t.equal(source.fills(), 0, 'an app built into the startup snapshot holds no random bytes')
  for (let i = 0; i < 680; i++) draw(1, 6)
  t.equal(source.fills(), 1)
  draw(1, 6)
  t.equal(source.fills(), 2)
})

t.test('ranges it cannot draw from are refused with what it takes', async (t) => {
  const draw = randomIntFrom(scripted([]).fill)
  const message = /^cannot draw from .*: it takes safe integers min <= max, at most 2\^48 - 1 apart$/
  t.throws(() => draw(6, 1), { name: 'RangeError', message })
  t.throws(() => draw(0, RAND_MAX), { message })
  t.throws(() => draw(1.5, 6), { message })
  t.throws(() => draw(1, Number.MAX_SAFE_INTEGER + 1), { message })
})

t.test('the kernel source fills the whole buffer, and the dice come out uniform', async (t) => {
  const bytes = Buffer.alloc(4096)
  fillFromUrandom(bytes)
  t.ok(bytes.subarray(4000).some((byte) => byte !== 0), 'the end of the buffer is filled too')
  const draw = randomIntFrom()
  const counts = [0, 0, 0, 0, 0, 0]
  const draws = 60_000
  for (let i = 0; i < draws; i++) {
    const face = draw(1, 6) - 1
    counts[face] = (counts[face] ?? 0) + 1
  }
  // Chi-square with 5 degrees of freedom: above 35 happens by chance about once in a million runs.
  const expected = draws / 6
  const chiSquare = counts.reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0)
  t.ok(chiSquare < 35, `chi-square ${chiSquare.toFixed(1)} for ${counts.join(', ')}`)
})

t.test('the kernel source keeps one fd open: a draw under fd exhaustion needs no new one', async (t) => {
  const urandomFds = () => readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === '/dev/urandom'
    } catch {
      return false // the directory's own fd, closed by now
    }
  })
  openUrandom()
  const opened = urandomFds()
  t.equal(opened.length, 1)
  const draw = randomIntFrom()
  for (let i = 0; i < 680 * 5; i++) draw(1, 6)
  openUrandom()
  t.same(urandomFds(), opened, 'five refills and a second open later, still the same one fd')
})
