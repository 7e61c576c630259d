// scripts/prune-code-cache.mjs rewrites the startup snapshot's blob, a format that is Node's and
// not ours: it must find the code cache exactly, keep the entries asked for byte for byte, and
// leave any file it does not recognise untouched.
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import t from 'tap'
import { withScripts } from './fixtures/scripts.js'

const BLOB = resolve(import.meta.dirname, '../dist/diceroll-per-connection.blob')

const u64 = (value: number): Buffer => {
  const bytes = Buffer.alloc(8)
  bytes.writeBigUInt64LE(BigInt(value))
  return bytes
}
/** One code cache entry as Node writes it: the id and the data, each behind its 64-bit length. */
const entry = (id: string, data: Buffer): Buffer => Buffer.concat([u64(id.length), Buffer.from(id), u64(data.length), data])

const prune = (file: string, keep: string[]): unknown => JSON.parse(withScripts(`
  const { pruneCodeCache, findCodeCache } = await import(scripts + 'prune-code-cache.mjs')
  const { readFileSync } = await import('node:fs')
  const result = pruneCodeCache(args.file, args.keep)
  const after = findCodeCache(readFileSync(args.file))
  console.log(JSON.stringify({ result: result === undefined ? null : { ...result, original: result.original.length }, ids: after?.entries.map((e) => e.id) ?? null }))
`, { file, keep }))

t.test('a blob laid out as Node writes it keeps exactly the entries asked for, in order', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'diceroll-prune-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  // The part before the code cache holds zero runs and length-like bytes too, as V8's data does.
  const head = Buffer.concat([Buffer.from([0x19, 0xda, 0x43, 0x01]), Buffer.alloc(40), u64(7), Buffer.from('net\0\0\0\0'), Buffer.alloc(9, 1)])
  const entries = [entry('http', Buffer.alloc(300, 7)), entry('internal/errors', Buffer.alloc(5000, 8)), entry('_http_server', Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 1]))]
  const file = join(dir, 'a.blob')
  writeFileSync(file, Buffer.concat([head, u64(3), ...entries]))
  t.same(prune(file, ['_http_server', 'http', 'dgram']), {
    result: { before: head.length + 8 + entries.reduce((sum, e) => sum + e.length, 0), after: head.length + 8 + entries[0]!.length + entries[2]!.length, entries: 3, kept: 2, original: head.length + 8 + entries.reduce((sum, e) => sum + e.length, 0) },
    ids: ['http', '_http_server'],
  })
  t.same(readFileSync(file), Buffer.concat([head, u64(2), entries[0]!, entries[2]!]), 'the rest of the blob is unchanged byte for byte')
})

t.test('a file that is not laid out that way is left as it is', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'diceroll-prune-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const cases: Array<[string, Buffer]> = [
    ['a trailing byte after the last entry', Buffer.concat([Buffer.alloc(16), u64(1), entry('http', Buffer.alloc(10)), Buffer.from([0])])],
    ['an entry longer than the file', Buffer.concat([Buffer.alloc(16), u64(1), u64(4), Buffer.from('http'), u64(99), Buffer.alloc(10)])],
    ['an id that is no builtin name', Buffer.concat([Buffer.alloc(16), u64(1), entry('no such id', Buffer.alloc(10))])],
    ['no code cache at all (built withoutCodeCache)', Buffer.concat([Buffer.alloc(64, 3), u64(0)])],
  ]
  for (const [name, bytes] of cases) {
    const file = join(dir, 'b.blob')
    writeFileSync(file, bytes)
    t.same(prune(file, ['http']), { result: null, ids: null }, name)
    t.same(readFileSync(file), bytes, `${name}: untouched`)
  }
})

t.test('the blob npm run build wrote holds only the code cache of builtins loaded at run time', { skip: !existsSync(BLOB) && 'no startup snapshot was built' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'diceroll-prune-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const copy = join(dir, 'copy.blob')
  copyFileSync(BLOB, copy)
  const runtime = JSON.parse(withScripts('console.log(JSON.stringify((await import(scripts + \'prune-code-cache.mjs\')).RUNTIME_BUILTINS))', {})) as string[]
  const { result, ids } = prune(copy, runtime) as { result: { entries: number, kept: number }, ids: string[] }
  t.ok(ids.length > 0 && ids.every((id) => runtime.includes(id)), `kept: ${ids.join(' ')}`)
  t.equal(result.kept, result.entries, 'pruning it again drops nothing')
})
