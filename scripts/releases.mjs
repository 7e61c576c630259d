// Releases under an install prefix. Each one is written whole into its own directory before one
// symlink is renamed over the old one (rename(2) is atomic), so no instance can start from a
// half-written tree:
//   PREFIX/releases/ID/        dist, node_modules, build, docs, scripts, units, bin, release.json
//   PREFIX/current             -> releases/ID: what the units run (PREFIX/current/dist/diceroll)
//   PREFIX/previous            -> releases/ID: what a rollback goes back to
//   PREFIX/diceroll-release    -> current/bin/diceroll-release: rollback, rebuild, list
// Plain node, no dependencies: every release carries this file, so the rollback and the rebuild
// after a node upgrade work without the source checkout.
import { execFileSync, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { makeSnapshotAndLauncher } from './snapshot.mjs'

export const SOCKETS = ['diceroll-listener.socket', 'diceroll.socket']
export const UNITS = [...SOCKETS, 'diceroll.service', 'diceroll@.service', 'diceroll-rebuild.path', 'diceroll-rebuild.service']
/** What a release keeps of scripts/: this file, its command line, and what remakes the snapshot. */
export const RELEASE_SCRIPTS = ['releases.mjs', 'diceroll-release.mjs', 'snapshot.mjs', 'launchers.mjs', 'make-code-cache.cjs']
/** Made for one node binary: a rebuild makes them again, everything else is copied. */
const NODE_BOUND = ['dist/diceroll.blob', 'dist/diceroll-per-connection.blob', 'dist/.node', 'dist/diceroll', 'bin', 'release.json']

/** The release a link (`current`, `previous`) points at, or undefined. */
export function linked (root, link = 'current') {
  try {
    return path.basename(fs.readlinkSync(path.join(root, link)))
  } catch (error) {
    if (error.code === 'ENOENT') return undefined
    throw error
  }
}

export function readRelease (root, id) {
  return JSON.parse(fs.readFileSync(path.join(root, 'releases', id, 'release.json'), 'utf8'))
}

/**
 * Runs `work` holding PREFIX/.lock: an install, a rollback and the rebuild unit must not
 * interleave. A lock left by a process that is gone is taken over.
 */
export function withLock (root, work) {
  fs.mkdirSync(root, { recursive: true })
  const lock = path.join(root, '.lock')
  for (;;) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' })
      break
    } catch (error) {
      if (error.code !== 'EEXIST') throw error
      const holder = fs.readFileSync(lock, 'utf8').trim()
      if (/^\d+$/.test(holder) && fs.existsSync(`/proc/${holder}`)) throw new Error(`another install, rollback or rebuild (pid ${holder}) holds ${lock}; wait for it`)
      fs.rmSync(lock, { force: true })
    }
  }
  try {
    return work()
  } finally {
    fs.rmSync(lock, { force: true })
  }
}

/**
 * A new release directory, written under a name no link can point at until finishRelease
 * renames it. What a killed install left is removed here (the lock says no one is writing it).
 */
export function startRelease (root, version) {
  const releases = path.join(root, 'releases')
  fs.mkdirSync(releases, { recursive: true })
  for (const entry of fs.readdirSync(releases)) {
    if (entry.startsWith('.partial-')) fs.rmSync(path.join(releases, entry), { recursive: true, force: true })
  }
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')
  let id = `${version}-${stamp}`
  for (let n = 2; fs.existsSync(path.join(releases, id)); n++) id = `${version}-${stamp}-${n}`
  const dir = path.join(releases, `.partial-${id}`)
  fs.mkdirSync(dir)
  return { id, dir }
}

/** The blobs and the launcher for `node`, the launcher naming the release's final directory. */
export function makeNodeBound ({ dir, id, prefix, node, log }) {
  return makeSnapshotAndLauncher({ out: path.join(dir, 'dist'), node, log, launcherDir: path.join(prefix, 'releases', id, 'dist') })
}

/**
 * Writes release.json and bin/diceroll-release, makes the tree readable by the services'
 * DynamicUser= uid, renames it into place and checks that its launcher starts. Throws, having
 * removed the release, when it does not.
 */
export function finishRelease ({ root, prefix, id, dir, node, unitDir, version, from }) {
  const final = path.join(root, 'releases', id)
  fs.writeFileSync(path.join(dir, 'release.json'), `${JSON.stringify({ name: 'diceroll', id, version, node, prefix, unitDir, made: new Date().toISOString(), from }, null, 2)}\n`)
  fs.mkdirSync(path.join(dir, 'bin'), { recursive: true })
  const script = path.join(prefix, 'releases', id, 'scripts/diceroll-release.mjs')
  fs.writeFileSync(path.join(dir, 'bin/diceroll-release'), `#!/bin/sh\nexec ${shellQuote(node)} ${shellQuote(script)} "$@"\n`, { mode: 0o755 })
  makeReadable(dir)
  fs.renameSync(dir, final)
  try {
    checkStarts(root, prefix, id, node)
  } catch (error) {
    fs.rmSync(final, { recursive: true, force: true })
    throw error
  }
}

/**
 * The release's launcher, run on --help as a unit would run it. Staged elsewhere (--destdir),
 * the launcher names a directory that does not exist yet: node runs the staged loader instead.
 */
export function checkStarts (root, prefix, id, node) {
  const dist = path.join(root, 'releases', id, 'dist')
  const [command, args] = root === prefix ? [path.join(dist, 'diceroll'), []] : [node, [path.join(dist, 'launch.cjs')]]
  const run = spawnSync(command, [...args, '--help'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } })
  if (run.status !== 0 || !run.stdout.startsWith('Usage: diceroll')) {
    const why = run.error?.message ?? (run.stderr.trim().split('\n')[0] || `exit ${run.status}`)
    throw new Error(`release ${id} does not start (${command} --help: ${why})`)
  }
}

/** Copies the release's units into `unitDir`, each through a rename: systemd never reads half a file. */
export function installUnits (root, id, unitDir) {
  fs.mkdirSync(unitDir, { recursive: true })
  const units = path.join(root, 'releases', id, 'units')
  for (const unit of fs.readdirSync(units)) {
    const temp = path.join(unitDir, `.${unit}.${process.pid}`)
    fs.writeFileSync(temp, fs.readFileSync(path.join(units, unit)), { mode: 0o644 })
    fs.chmodSync(temp, 0o644)
    fs.renameSync(temp, path.join(unitDir, unit))
  }
}

/** Points `current` at the release (and `previous` at the one it replaces), then lets systemd know. */
export function swap ({ root, id, systemd, log }) {
  const was = linked(root)
  if (was !== undefined && was !== id) relink(root, 'previous', `releases/${was}`)
  relink(root, 'current', `releases/${id}`)
  relink(root, 'diceroll-release', 'current/bin/diceroll-release')
  log(`current -> releases/${id}${was !== undefined && was !== id ? ` (previous: ${was})` : ''}`)
  if (!systemd) return
  execFileSync('systemctl', ['daemon-reload'], { stdio: 'inherit' })
  // A running listener restarts from the new release (with the fd store, without dropping a
  // connection); per-connection instances need nothing: the next one starts from `current`.
  execFileSync('systemctl', ['try-restart', 'diceroll.service'], { stdio: 'inherit' })
  log('systemctl try-restart diceroll.service: a running listener now serves from the new release')
}

function relink (root, name, target) {
  const temp = path.join(root, `.${name}.${process.pid}`)
  fs.rmSync(temp, { force: true })
  fs.symlinkSync(target, temp)
  fs.renameSync(temp, path.join(root, name))
}

/**
 * Release ids that running processes use: the launcher hands node its release's own paths, so
 * they are in the command line, and the native addon is in the memory map.
 */
export function releasesInUse (prefix) {
  const marker = `${path.join(prefix, 'releases')}/`
  const used = new Set()
  // Not this process: a rollback or rebuild runs from a release it may well prune.
  for (const pid of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name) && name !== String(process.pid))) {
    for (const file of ['cmdline', 'maps']) {
      let text
      try { text = fs.readFileSync(`/proc/${pid}/${file}`, 'latin1') } catch { continue }
      for (let at = text.indexOf(marker); at !== -1; at = text.indexOf(marker, at + 1)) {
        used.add(text.slice(at + marker.length).split(/[/\0\n ]/, 1)[0])
      }
    }
  }
  return used
}

/** Removes every release that is neither current, nor previous, nor used by a running process. */
export function prune ({ root, prefix, log }) {
  const inUse = releasesInUse(prefix)
  const keep = new Set([linked(root), linked(root, 'previous')])
  for (const id of fs.readdirSync(path.join(root, 'releases'))) {
    if (id.startsWith('.') || keep.has(id)) continue
    if (inUse.has(id)) {
      log(`kept releases/${id}: a running process started from it`)
      continue
    }
    fs.rmSync(path.join(root, 'releases', id), { recursive: true, force: true })
    log(`removed releases/${id}`)
  }
}

/** Back to `previous` (which becomes the new `previous`'s target: a second rollback undoes it). */
export function rollback ({ root, prefix, unitDir, systemd, log }) {
  const target = linked(root, 'previous')
  if (target === undefined) throw new Error(`no previous release to roll back to (${path.join(root, 'previous')} does not exist)`)
  if (!fs.existsSync(path.join(root, 'releases', target))) throw new Error(`${path.join(root, 'previous')} points at releases/${target}, which is gone`)
  checkStarts(root, prefix, target, readRelease(root, target).node)
  installUnits(root, target, unitDir)
  swap({ root, id: target, systemd, log })
  prune({ root, prefix, log })
  return target
}

/** Whether dist/ holds blobs made by this very node binary (what the launcher checks). */
export function builtFor (dist, node) {
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
 * After the node binary changed: a new release, a copy of the current one with blobs made by
 * the new binary, swapped in like an install. A live release is never rewritten. Returns the
 * new release's id, or undefined when the current one already fits.
 */
export function rebuild ({ root, prefix, systemd, log }) {
  const current = linked(root)
  if (current === undefined) throw new Error(`nothing installed in ${root} (no current link)`)
  const { node, version, unitDir } = readRelease(root, current)
  if (builtFor(path.join(root, 'releases', current, 'dist'), node)) {
    log(`releases/${current} was built by ${node}: nothing to rebuild`)
    return undefined
  }
  const { id, dir } = startRelease(root, version)
  try {
    const from = path.join(root, 'releases', current)
    const skipped = new Set(NODE_BOUND.map((rel) => path.join(from, rel)))
    fs.cpSync(from, dir, { recursive: true, filter: (p) => !skipped.has(p) })
    if (!makeNodeBound({ dir, id, prefix, node, log })) throw new Error(`${node} made no working startup snapshot`)
    finishRelease({ root, prefix, id, dir, node, unitDir, version, from: `rebuild of ${current} for a changed ${node}` })
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true })
    throw new Error(`rebuild failed, releases/${current} stays current: ${error.message}`)
  }
  swap({ root, id, systemd, log })
  prune({ root, prefix, log })
  return id
}

/** The services run as a DynamicUser= uid that owns nothing: files only root could read would not start. */
export function makeReadable (dir) {
  fs.chmodSync(dir, 0o755)
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name)
    if (entry.isDirectory()) makeReadable(p)
    else if (entry.isFile()) fs.chmodSync(p, fs.statSync(p).mode & 0o111 ? 0o755 : 0o644)
  }
}

function shellQuote (text) {
  return `'${text.replaceAll("'", "'\\''")}'`
}
