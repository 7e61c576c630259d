// Dice notation (NdS, NdS+K, NdS-K) and rolling. Pure: the random source is passed in.

export const LIMITS = {
  minDice: 1,
  maxDice: 100,
  minSides: 2,
  maxSides: 1000,
  maxModifier: 1000,
} as const

/** Returns an integer in [min, max], both inclusive (random.ts). */
export type RandomInt = (min: number, max: number) => number

export interface DiceSpec {
  count: number
  sides: number
  modifier: number
}

export interface DiceRoll {
  dice: string
  rolls: number[]
  result: number
}

// A space stands for "+": in a query string `?dice=2d6+1` arrives as "2d6 1" unless the client
// wrote %2B, and rejecting what every user types first would be unfriendly.
const NOTATION = /^(\d{0,4})[dD](\d{1,5})(?:([+ -])(\d{1,5}))?$/

export type ParseResult = { ok: true; spec: DiceSpec } | { ok: false; message: string }

export function parseDice(text: string): ParseResult {
  const match = NOTATION.exec(text)
  if (match === null) {
    return {
      ok: false,
      message: `dice "${text}" is not dice notation: use NdS, NdS+K or NdS-K, for example 2d6+1`,
    }
  }
  const [, countText = '', sidesText = '', sign, modifierText = '0'] = match
  const count = countText === '' ? 1 : Number(countText)
  const sides = Number(sidesText)
  const modifier = (sign === '-' ? -1 : 1) * Number(modifierText)
  if (count < LIMITS.minDice || count > LIMITS.maxDice) {
    return { ok: false, message: `dice "${text}": ${count} dice is out of range, roll ${LIMITS.minDice} to ${LIMITS.maxDice} dice` }
  }
  if (sides < LIMITS.minSides || sides > LIMITS.maxSides) {
    return { ok: false, message: `dice "${text}": ${sides} sides is out of range, a die has ${LIMITS.minSides} to ${LIMITS.maxSides} sides` }
  }
  if (Math.abs(modifier) > LIMITS.maxModifier) {
    return { ok: false, message: `dice "${text}": modifier ${formatModifier(modifier)} is out of range, use -${LIMITS.maxModifier} to +${LIMITS.maxModifier}` }
  }
  return { ok: true, spec: { count, sides, modifier } }
}

export function formatDice(spec: DiceSpec): string {
  return `${spec.count}d${spec.sides}${spec.modifier === 0 ? '' : formatModifier(spec.modifier)}`
}

function formatModifier(modifier: number): string {
  return modifier < 0 ? `${modifier}` : `+${modifier}`
}

export function roll(spec: DiceSpec, randomInt: RandomInt): DiceRoll {
  const rolls: number[] = []
  let sum = 0
  for (let i = 0; i < spec.count; i++) {
    const value = randomInt(1, spec.sides)
    rolls.push(value)
    sum += value
  }
  return { dice: formatDice(spec), rolls, result: sum + spec.modifier }
}
