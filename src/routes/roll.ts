// GET /roll: one six-sided die, as in the original recipe, or any NdS+K expression.
import type { FastifyPluginCallback, FastifySchemaValidationError } from 'fastify'
import { parseDice, roll, type RandomInt } from '../dice.js'

const EXAMPLE = 'for example /roll?dice=2d6+1'

const querystring = {
  type: 'object',
  properties: { dice: { type: 'string', maxLength: 20 } },
  additionalProperties: false,
} as const

interface RollQuery {
  dice?: string
}

export interface RollOptions {
  /** Where the rolls come from (random.ts, or a stand-in in tests and at build time). */
  randomInt: RandomInt
}

export const rollRoutes: FastifyPluginCallback<RollOptions> = (app, { randomInt }, done) => {
  app.get<{ Querystring: RollQuery }>('/roll', {
    schema: { querystring },
    schemaErrorFormatter: (errors) => new Error(describeQueryError(errors[0])),
  }, async (request) => {
    if (request.query.dice === undefined) return { result: randomInt(1, 6) }
    const parsed = parseDice(request.query.dice)
    // @fastify/sensible's httpErrors (registered by app.ts): a 400 with our message.
    if (!parsed.ok) throw app.httpErrors.badRequest(parsed.message)
    return roll(parsed.spec, randomInt)
  })
  done()
}

function describeQueryError(error: FastifySchemaValidationError | undefined): string {
  if (error?.keyword === 'additionalProperties') {
    return `unknown query parameter "${String(error.params.additionalProperty)}": /roll takes only "dice", ${EXAMPLE}`
  }
  if (error?.keyword === 'maxLength') return `dice is too long: use NdS, NdS+K or NdS-K, ${EXAMPLE}`
  // The one other way to break this schema: "dice" given more than once arrives as an array.
  return `give "dice" once, ${EXAMPLE}`
}
