import ajvCompiler from '@fastify/ajv-compiler'
import t from 'tap'
import { buildSerializer, buildValidator, type RouteSchema } from '../src/schema-compilers.js'

// Fastify's own setup: @fastify/ajv-compiler with our customOptions (src/app.ts).
const AJV_OPTIONS = { customOptions: { removeAdditional: false } }
type Validate = ((data: unknown) => boolean) & { errors?: unknown }
const route = (schema: unknown): RouteSchema => ({ schema, method: 'GET', url: '/x', httpPart: 'querystring' })
const ajv = (schema: unknown) => (ajvCompiler as unknown as () => (e: unknown, o: unknown) => (r: RouteSchema) => Validate)()({}, AJV_OPTIONS)(route(schema))
const ours = (schema: unknown) => buildValidator({}, AJV_OPTIONS)(route(schema)) as Validate

const SCHEMAS = [
  { type: 'object', properties: { dice: { type: 'string', maxLength: 20 } }, additionalProperties: false },
  { type: 'object', properties: { a: { type: 'string' }, 'b/c~': { type: 'string', maxLength: 2 } } },
]
const INPUTS: Record<string, unknown>[] = [
  {}, { dice: '2d6' }, { dice: '' }, { dice: 'x'.repeat(20) }, { dice: 'x'.repeat(21) }, { dice: '🎲'.repeat(20) }, { dice: '🎲'.repeat(21) },
  { dice: ['2d6'] }, { dice: ['a', 'b'] }, { dice: [] }, { x: '1' }, { dice: 'x'.repeat(30), x: '1' }, { x: '1', dice: ['a', 'b'] },
  { a: 'q', 'b/c~': 'long' }, { a: ['q', 'r'] }, { 'b/c~': 'ok' }, { dice: 12 }, { dice: true }, { a: [7] },
]

t.test('flat query-string schemas: the same answer, errors and coercion as Ajv', async (t) => {
  for (const schema of SCHEMAS) {
    const [a, b] = [ajv(schema), ours(schema)]
    for (const input of INPUTS) {
      const [da, db] = [structuredClone(input), structuredClone(input)]
      const name = `${JSON.stringify(schema.properties)} ${JSON.stringify(input)}`
      t.equal(b(db), a(da), name)
      t.same(b.errors, a.errors, name)
      t.same(db, da, `${name}: coerced data`)
    }
  }
})

t.test('other schemas go to Ajv; response schemas to fast-json-stringify, set up on first use', async (t) => {
  const validator = buildValidator({}, AJV_OPTIONS)
  const pattern = validator(route({ type: 'object', properties: { n: { type: 'string', pattern: '^a' } } })) as Validate
  t.equal(pattern({ n: 'b' }), false)
  t.match(pattern.errors, [{ keyword: 'pattern' }])
  t.equal((validator(route({ type: 'integer' })) as Validate)(3), true)
  for (const notFlat of [true, { type: 'object' }, { type: 'object', properties: { n: { type: 'number' } } }, { type: 'object', properties: {}, additionalProperties: {} }]) {
    t.type(validator(route(notFlat)), 'function', JSON.stringify(notFlat))
  }
  t.throws(() => validator(route({ type: 'object', properties: { n: { type: 'string', maxLength: 1.5 } } })), /maxLength must be integer/, 'Ajv judges what we cannot')
  t.throws(() => validator(route({ type: 'object', properties: { n: null } })), /schema is invalid/)
  t.throws(() => validator(route({ type: 'object', properties: { n: 'string' } })), /schema is invalid/)
  const serialize = buildSerializer({}, {})({ schema: { type: 'object', properties: { ok: { type: 'boolean' } } }, method: 'GET', url: '/x' }) as (data: unknown) => string
  t.equal(serialize({ ok: true, extra: 1 }), '{"ok":true}')
})
