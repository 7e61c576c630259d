// The heal after the node binary changed (an apt upgrade, say): its startup snapshots no longer
// start, so the launcher falls back to the slower bundle. diceroll-rebuild.path sees the change
// and diceroll-rebuild.service runs this through diceroll-release.mjs. Plain node, no dependencies.
import fs from 'node:fs'
import path from 'node:path'
import { finishRelease, linked, makeNodeBound, prune, readRelease, startRelease, swap } from './releases.mjs'

/** Made for one node binary: a rebuild makes them again, everything else is copied. */
const NODE_BOUND = ['dist/diceroll.blob', 'dist/diceroll-per-connection.blob', 'dist/.node', 'dist/diceroll', 'bin', 'release.json']

/** Whether dist/ holds blobs made by this very node binary (what the launcher checks). */
export function builtFor(dist, node) {
  let stamp, binary
  try {
    stamp = fs.statSync(path.join(dist, '.node'))
    binary = fs.statSync(node)
  } catch {
    return false
  }
  if (stamp.dev === binary.dev && stamp.ino === binary.ino) return true
  const text = stamp.size < 100 ? fs.readFileSync(path.join(dist, '.node'), 'utf8').trim() : ''
  return text === `${binary.dev}:${binary.ino}:${binary.size}:${Math.floor(binary.mtimeMs / 1000)}`
}

/**
 * The path unit fires when dpkg renames the new node into place, and Debian's node comes with
 * its libnode in another file, which may not be unpacked yet: blobs made from the mix would be
 * refused by the finished pair. So wait until no dpkg runs (for at most `seconds`).
 */
function waitForDpkg(log, seconds = 600) {
  const deadline = Date.now() + seconds * 1000
  let said = false
  for (;;) {
    // /proc/PID/stat: "PID (comm) STATE …"; a zombie (Z) has finished.
    const pid = fs.readdirSync('/proc').find((entry) => {
      try { return /^\d+$/.test(entry) && / \(dpkg\) [^Z]/.test(fs.readFileSync(`/proc/${entry}/stat`, 'utf8')) } catch { return false }
    })
    if (pid === undefined || Date.now() >= deadline) return
    if (!said) log(`waiting for dpkg (pid ${pid}) to finish`)
    said = true
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000)
  }
}

/**
 * After the node binary changed: a new release, a copy of the current one with blobs made by
 * the new binary, swapped in like an install. A live release is never rewritten. Returns the
 * new release's id, or undefined when the current one already fits.
 */
export function rebuild({ root, prefix, systemd, log }) {
  const current = linked(root)
  if (current === undefined) throw new Error(`nothing installed in ${root} (no current link)`)
  const { node, version, unitDir, snapshot } = readRelease(root, current)
  if (snapshot === false) {
    log(`releases/${current} was installed with --no-snapshot: nothing to rebuild`)
    return undefined
  }
  if (builtFor(path.join(root, 'releases', current, 'dist'), node)) {
    log(`releases/${current} was built by ${node}: nothing to rebuild`)
    return undefined
  }
  waitForDpkg(log)
  const { id, dir } = startRelease(root, version)
  try {
    const from = path.join(root, 'releases', current)
    const skipped = new Set(NODE_BOUND.map((rel) => path.join(from, rel)))
    fs.cpSync(from, dir, { recursive: true, filter: (p) => !skipped.has(p) })
    if (!makeNodeBound({ dir, id, prefix, node, log })) throw new Error(`${node} made no working startup snapshot`)
    finishRelease({ root, prefix, id, dir, node, unitDir, version, snapshot: true, from: `rebuild of ${current} for a changed ${node}` })
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true })
    throw new Error(`rebuild failed, releases/${current} stays current: ${error.message}`)
  }
  swap({ root, id, systemd, log })
  prune({ root, prefix, log })
  return id
}
