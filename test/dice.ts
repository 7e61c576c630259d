import t from 'tap'
import { formatDice, LIMITS, parseDice, roll } from '../src/dice.js'

t.test('parses NdS, NdS+K, NdS-K and d S', async (t) => {
  t.same(parseDice('2d6'), { ok: true, spec: { count: 2, sides: 6, modifier: 0 } })
  t.same(parseDice('3d8+4'), { ok: true, spec: { count: 3, sides: 8, modifier: 4 } })
  t.same(parseDice('1d20-2'), { ok: true, spec: { count: 1, sides: 20, modifier: -2 } })
  t.same(parseDice('d12'), { ok: true, spec: { count: 1, sides: 12, modifier: 0 } })
  t.same(parseDice('2D6'), { ok: true, spec: { count: 2, sides: 6, modifier: 0 } })
  // "?dice=2d6+1" reaches the handler as "2d6 1": a query string turns + into a space.
  t.same(parseDice('2d6 1'), { ok: true, spec: { count: 2, sides: 6, modifier: 1 } })
})

t.test('accepts the documented limits and rejects one step beyond each', async (t) => {
  t.equal(parseDice(`${LIMITS.maxDice}d${LIMITS.maxSides}+${LIMITS.maxModifier}`).ok, true)
  t.equal(parseDice(`${LIMITS.minDice}d${LIMITS.minSides}-${LIMITS.maxModifier}`).ok, true)
  t.same(parseDice('0d6'), { ok: false, message: 'dice "0d6": 0 dice is out of range, roll 1 to 100 dice' })
  t.same(parseDice('101d6'), { ok: false, message: 'dice "101d6": 101 dice is out of range, roll 1 to 100 dice' })
  t.same(parseDice('1d1'), { ok: false, message: 'dice "1d1": 1 sides is out of range, a die has 2 to 1000 sides' })
  t.same(parseDice('1d1001'), { ok: false, message: 'dice "1d1001": 1001 sides is out of range, a die has 2 to 1000 sides' })
  t.same(parseDice('1d6+1001'), { ok: false, message: 'dice "1d6+1001": modifier +1001 is out of range, use -1000 to +1000' })
  t.same(parseDice('1d6-1001'), { ok: false, message: 'dice "1d6-1001": modifier -1001 is out of range, use -1000 to +1000' })
})

t.test('rejects what is not dice notation', async (t) => {
  for (const text of ['', 'abc', '2d', 'd', '2x6', '2d6+', '2d6++1', '-2d6', '2d6*2', ' 2d6', '2d6+1+1', '1.5d6', '12345d6']) {
    t.same(parseDice(text), {
      ok: false,
      message: `dice "${text}" is not dice notation: use NdS, NdS+K or NdS-K, for example 2d6+1`,
    }, JSON.stringify(text))
  }
})

t.test('formats the canonical notation', async (t) => {
  t.equal(formatDice({ count: 2, sides: 6, modifier: 0 }), '2d6')
  t.equal(formatDice({ count: 2, sides: 6, modifier: 3 }), '2d6+3')
  t.equal(formatDice({ count: 2, sides: 6, modifier: -3 }), '2d6-3')
})

t.test('rolls each die with the injected source and adds the modifier', async (t) => {
  const calls: [number, number][] = []
  const values = [4, 1, 6]
  const result = roll({ count: 3, sides: 6, modifier: -2 }, (min, max) => {
    calls.push([min, max])
    return values[calls.length - 1] as number
  })
  t.same(result, { dice: '3d6-2', rolls: [4, 1, 6], result: 9 })
  t.same(calls, [[1, 6], [1, 6], [1, 6]])
})
