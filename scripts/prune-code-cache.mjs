// Node's snapshot builder puts V8's code cache for every one of its ~330–440 builtins into the
// blob (BuiltinLoader::CompileAllBuiltinsAndCopyCodeCache; half of an 8.9 MB blob on Node 26), and
// every start reads the whole file and copies each entry. A cache entry only matters for a
// builtin compiled after deserialization, and diceroll compiles a handful. So the build keeps
// the entries of those and drops the rest: a builtin that is dropped but loaded anyway compiles
// from its source, slower and otherwise the same (docs/benchmarks.md, "code cache of the blob").
import { readFileSync, writeFileSync } from 'node:fs'

/**
 * The builtins diceroll loads after deserialization, on Node 20 to 26 (NODE_DEBUG_NATIVE=CODE_CACHE
 * lists them): node:http behind its stand-in, then what net.Server#listen pulls in for a listener
 * fd (cluster, child_process, dgram) and the stdout stream of `--help`. test/snapshot.ts fails if a
 * request in either model compiles one that is not here.
 */
export const RUNTIME_BUILTINS = [
  'http', '_http_agent', '_http_client', '_http_common', '_http_incoming', '_http_outgoing', '_http_server',
  'internal/http', 'internal/freelist', 'internal/fs/sync_write_stream',
  'cluster', 'internal/cluster/primary', 'internal/cluster/round_robin_handle', 'internal/cluster/shared_handle',
  'internal/cluster/utils', 'internal/cluster/worker', 'child_process', 'internal/child_process',
  'internal/socket_list', 'dgram', 'internal/dgram',
]

const ID = /^[A-Za-z0-9_/.-]{1,200}$/

/**
 * Where the blob's code cache starts, and its entries. Node writes it last (SnapshotData::ToBlob):
 * a 64-bit count, then per builtin its id and its data, each behind a 64-bit length. Nothing
 * else in the format marks it, so it is found as the only place from which exactly that layout,
 * with builtin ids, runs to the end of the file. undefined: not that layout (another Node).
 */
export function findCodeCache(blob) {
  const u64 = (at) => (at + 8 <= blob.length ? Number(blob.readBigUInt64LE(at)) : -1)
  // An entry begins with its id's length: one byte between 1 and 127, then seven zero bytes.
  for (let at = blob.indexOf('\0\0\0\0\0\0\0', 9); at !== -1; at = blob.indexOf('\0\0\0\0\0\0\0', at + 1)) {
    const first = at - 1
    const count = u64(first - 8)
    if (blob[first] === 0 || blob[first] > 127 || count < 1 || count > 5000) continue
    const entries = readEntries(blob, first, count, u64)
    if (entries !== undefined) return { start: first - 8, entries }
  }
  return undefined
}

function readEntries(blob, from, count, u64) {
  const entries = []
  let at = from
  for (let i = 0; i < count; i++) {
    const idLength = u64(at)
    if (idLength < 1 || idLength > 200) return undefined
    const id = blob.toString('latin1', at + 8, at + 8 + idLength)
    if (!ID.test(id)) return undefined
    const dataLength = u64(at + 8 + idLength)
    const end = at + 16 + idLength + dataLength
    if (dataLength < 0 || end > blob.length) return undefined
    entries.push({ id, from: at, end })
    at = end
  }
  return at === blob.length ? entries : undefined
}

/**
 * Rewrites `file` keeping only the code cache of `keep`. Returns the sizes and how many entries
 * stayed, or undefined (file untouched) when the blob's layout is not recognised.
 */
export function pruneCodeCache(file, keep = RUNTIME_BUILTINS) {
  const blob = readFileSync(file)
  const found = findCodeCache(blob)
  if (found === undefined) return undefined
  const kept = found.entries.filter(({ id }) => keep.includes(id))
  const count = Buffer.alloc(8)
  count.writeBigUInt64LE(BigInt(kept.length))
  const pruned = Buffer.concat([blob.subarray(0, found.start), count, ...kept.map(({ from, end }) => blob.subarray(from, end))])
  writeFileSync(file, pruned)
  return { before: blob.length, after: pruned.length, entries: found.entries.length, kept: kept.length, original: blob }
}
