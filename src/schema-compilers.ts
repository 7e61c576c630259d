// Fastify compiles route schemas with Ajv, and sets up fast-json-stringify, when the app gets
// ready: a lot of code plus their data, loaded by every process before its first
// response. Our schemas are flat query-string objects, so this validates those itself, with
// the same error objects Ajv reports under Fastify's settings (test/schema-compilers.ts compares
// them), and loads Ajv or fast-json-stringify only for a schema it does not handle. In the
// bundle and the startup snapshot those packages are then never loaded (scripts/build.mjs).
import ajvCompiler from '@fastify/ajv-compiler'
import serializerCompiler from '@fastify/fast-json-stringify-compiler'
import type { FastifySchemaValidationError } from 'fastify'

/** What Fastify hands a compiler: one route's schema for one part of the request. */
export interface RouteSchema {
  schema: unknown
  method: string
  url: string
  httpPart?: string
}
type Compile = (route: RouteSchema) => unknown
type Factory = () => (externalSchemas: unknown, options: unknown) => Compile

interface StringSchema {
  type: 'string'
  maxLength?: number
}

interface FlatObjectSchema {
  type: 'object'
  properties: Record<string, StringSchema>
  additionalProperties?: boolean
}

type Validate = ((data: Record<string, unknown>) => boolean) & { errors?: FastifySchemaValidationError[] | null }

/** schemaController.compilersFactory.buildValidator: ours for flat objects, else Ajv. */
export function buildValidator(externalSchemas: unknown, ajvOptions: unknown): Compile {
  let ajv: Compile | undefined
  return (route) => {
    if (isFlatObjectSchema(route.schema)) return compileFlatObject(route.schema)
    ajv ??= (ajvCompiler as unknown as Factory)()(externalSchemas, ajvOptions)
    return ajv(route)
  }
}

/** schemaController.compilersFactory.buildSerializer: fast-json-stringify, set up on first use. */
export function buildSerializer(externalSchemas: unknown, options: unknown): Compile {
  let compile: Compile | undefined
  return (route) => (compile ??= (serializerCompiler as unknown as Factory)()(externalSchemas, options))(route)
}

const STRING_KEYS = new Set(['type', 'maxLength'])
const OBJECT_KEYS = new Set(['type', 'properties', 'additionalProperties'])

function isFlatObjectSchema(schema: unknown): schema is FlatObjectSchema {
  if (typeof schema !== 'object' || schema === null) return false
  const s = schema as Record<string, unknown>
  if (s.type !== 'object' || typeof s.properties !== 'object' || s.properties === null) return false
  if (!Object.keys(s).every((key) => OBJECT_KEYS.has(key)) || (s.additionalProperties !== undefined && typeof s.additionalProperties !== 'boolean')) return false
  return Object.values(s.properties).every((p: Record<string, unknown>) =>
    typeof p === 'object' && p !== null && p.type === 'string' && Object.keys(p).every((key) => STRING_KEYS.has(key)) &&
    (p.maxLength === undefined || Number.isInteger(p.maxLength)))
}

/** Ajv's behaviour for this subset under Fastify's options: coerceTypes 'array', first error only. */
function compileFlatObject(schema: FlatObjectSchema): Validate {
  const closed = schema.additionalProperties === false
  const validate: Validate = (data) => {
    validate.errors = null
    for (const key in data) {
      if (closed && !Object.hasOwn(schema.properties, key)) {
        return fail(validate, 'additionalProperties', '', '#/additionalProperties', { additionalProperty: key }, 'must NOT have additional properties')
      }
    }
    for (const [key, property] of Object.entries(schema.properties)) {
      if (!Object.hasOwn(data, key)) continue
      const pointer = key.replace(/~/g, '~0').replace(/\//g, '~1')
      const path = `/${pointer}`
      let value = data[key]
      // coerceTypes 'array': a one-element array stands for its element; numbers and booleans
      // become strings. (Query strings only ever hold strings and arrays of strings.)
      if (Array.isArray(value) && value.length === 1) value = value[0]
      if (typeof value === 'number' || typeof value === 'boolean') value = String(value)
      if (typeof value !== 'string') {
        return fail(validate, 'type', path, `#/properties/${pointer}/type`, { type: 'string' }, 'must be string')
      }
      data[key] = value
      if (property.maxLength !== undefined && [...value].length > property.maxLength) {
        return fail(validate, 'maxLength', path, `#/properties/${pointer}/maxLength`, { limit: property.maxLength }, `must NOT have more than ${property.maxLength} characters`)
      }
    }
    return true
  }
  return validate
}

function fail(validate: Validate, keyword: string, instancePath: string, schemaPath: string, params: Record<string, unknown>, message: string): false {
  validate.errors = [{ keyword, instancePath, schemaPath, params, message }]
  return false
}
