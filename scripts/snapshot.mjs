// The startup snapshot and the launcher for one node binary. `npm run build` calls it for the
// node that builds; install-units calls it again for the node the units will run, because a blob
// only starts with the exact binary that made it (another makes node exit 14 before our code).
// Needs only node: dist/snapshot-entry.cjs is already bundled.
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, existsSync, linkSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { LAUNCHER_SOURCE, LISTENER_FLAGS, listenerStartFor, PER_CONNECTION_FLAGS } from './launchers.mjs'
import { pruneCodeCache } from './prune-code-cache.mjs'

const cleanEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/' }

/**
 * The two blobs: the same heap, but per-connection instances (one bounded request each) run
 * with PER_CONNECTION_FLAGS (launchers.mjs), which do not rehash the heap at start; both leave
 * V8's baseline compiler off (LISTENER_FLAGS). A blob only runs with the V8 flags it was built
 * with. `sparkplug` (the bench's steps) leaves the baseline compiler on.
 */
export function blobs({ sparkplug = false } = {}) {
  const flags = (list) => list.filter((flag) => !sparkplug || flag !== '--no-sparkplug')
  return [
    { file: 'diceroll.blob', flags: flags(LISTENER_FLAGS) },
    { file: 'diceroll-per-connection.blob', flags: flags(PER_CONNECTION_FLAGS) },
  ]
}

/**
 * Writes out/diceroll.blob and out/diceroll-per-connection.blob (unless skipped or they fail:
 * the launcher then runs launch.cjs, or the first blob for per-connection) and out/diceroll, the
 * launcher that execs `node` (`launcherDir`: the directory the launcher names as its own, when
 * `out` is not where it will run from). Returns true when the snapshot is in use.
 */
export function makeSnapshotAndLauncher({ out, node, skip = false, prune = true, sparkplug = false, log, launcherDir }) {
  const stamp = join(out, '.node')
  const list = blobs({ sparkplug })
  for (const file of [...list.map(({ file }) => join(out, file)), stamp, join(out, 'diceroll')]) rmSync(file, { force: true })
  let snapshot = false
  for (const [index, { file, flags }] of list.entries()) {
    if (skip || !existsSync(join(out, 'snapshot-entry.cjs')) || (index > 0 && !snapshot)) break
    const blob = join(out, file)
    const made = spawnSync(node, [...flags, '--snapshot-blob', blob, '--build-snapshot', join(out, 'snapshot-entry.cjs')], { env: cleanEnv, encoding: 'utf8' })
    if (made.status === 0) {
      const pruned = prune ? pruneCodeCache(blob) : undefined
      let works = verify(out, node, blob, flags, log)
      if (!works && pruned !== undefined) {
        // Not expected: a pruned blob that does not start. The blob as built may still start.
        writeFileSync(blob, pruned.original)
        works = verify(out, node, blob, flags, log)
      } else if (pruned !== undefined) {
        log(`${file}: code cache of ${pruned.kept} of ${pruned.entries} builtins kept, ${mb(pruned.before)} → ${mb(pruned.after)} MB`)
      } else if (prune) {
        log(`${file}: code cache not pruned, its layout is not the one this build knows (scripts/prune-code-cache.mjs)`)
      }
      if (index === 0) snapshot = works
    } else {
      rmSync(blob, { force: true })
      log(`no startup snapshot ${file}, the launcher will run ${index === 0 ? 'launch.cjs' : list[0].file}: ${made.stderr?.split('\n').filter((l) => /error/i.test(l)).at(-1) ?? `exit ${made.status}`}`)
    }
  }
  // The launcher must know cheaply that the blob was built by the node it is about to exec. A
  // hard link to the binary makes that a `test -ef`, with no extra process; a Node upgrade
  // replaces the file, so the link no longer matches and the launcher uses launch.cjs.
  let check = 'none'
  if (snapshot) {
    try {
      linkSync(node, stamp)
      check = 'link'
    } catch (error) {
      check = 'stat'
      writeFileSync(stamp, execFileSync('stat', ['-L', '-c', '%d:%i:%s:%Y', node], { encoding: 'utf8' }))
      log(`cannot hard-link ${node} (${error.code}): the launcher checks it with stat(1) instead, ~1 ms slower`)
    }
  }
  // Without a snapshot every start is the bundle's, and a node that made none may not even run.
  const version = snapshot ? execFileSync(node, ['--version'], { env: cleanEnv, encoding: 'utf8' }).trim() : ''
  const listenerStart = snapshot ? listenerStartFor(version) : 'snapshot'
  writeFileSync(join(out, 'diceroll'), LAUNCHER_SOURCE({ node, check, dir: launcherDir, listenerStart, listenerFlags: list[0].flags, perConnectionFlags: list[1].flags }), { mode: 0o755 })
  chmodSync(join(out, 'diceroll'), 0o755)
  const long = snapshot && listenerStart === 'bundle' ? `, listener and standalone from launch.cjs (Node ${version}: docs/benchmarks.md)` : ''
  log(`launcher ${join(out, 'diceroll')}: ${snapshot ? 'startup snapshot' : 'launch.cjs (no snapshot)'}${long} with ${node}`)
  return snapshot
}

const mb = (bytes) => (bytes / 1e6).toFixed(1)

/** A blob that builds can still fail at run time: start it once on `--help`. */
function verify(out, node, blob, flags, log) {
  const run = spawnSync(node, [...flags, '--snapshot-blob', blob, join(out, 'launch.cjs'), '--help'], { env: cleanEnv, encoding: 'utf8' })
  if (run.status === 0 && run.stdout.startsWith('Usage: diceroll')) {
    log(`startup snapshot ${blob}`)
    return true
  }
  rmSync(blob, { force: true })
  log(`startup snapshot removed, it does not start (exit ${run.status}): ${run.stderr.trim().split('\n')[0]}`)
  return false
}
