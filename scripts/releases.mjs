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
export const RELEASE_SCRIPTS = ['releases.mjs', 'rebuild.mjs', 'diceroll-release.mjs', 'snapshot.mjs', 'launchers.mjs', 'prune-code-cache.mjs', 'make-code-cache.cjs']

/** The release a link (`current`, `previous`) points at, or undefined. */
export function linked(root, link = 'current') {
  try {
    return path.basename(fs.readlinkSync(path.join(root, link)))
  } catch (error) {
    if (error.code === 'ENOENT') return undefined
    throw error
  }
}

export function readRelease(root, id) {
  return JSON.parse(fs.readFileSync(path.join(root, 'releases', id, 'release.json'), 'utf8'))
}

/**
 * Runs `work` holding PREFIX/.lock: an install, a rollback and the rebuild unit must not
 * interleave. A lock left by a process that is gone is taken over; one held by a live process
 * fails at once, or after `waitSeconds` (the rebuild unit may fire while an install runs).
 */
export function withLock(root, work, waitSeconds = 0) {
  fs.mkdirSync(root, { recursive: true })
  const lock = path.join(root, '.lock')
  const deadline = Date.now() + waitSeconds * 1000
  for (;;) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' })
      break
    } catch (error) {
      if (error.code !== 'EEXIST') throw error
      const holder = fs.readFileSync(lock, 'utf8').trim()
      if (/^\d+$/.test(holder) && fs.existsSync(`/proc/${holder}`)) {
        if (Date.now() >= deadline) throw new Error(`another install, rollback or rebuild (pid ${holder}) holds ${lock}; wait for it`)
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500)
        continue
      }
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
export function startRelease(root, version) {
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
export function makeNodeBound({ dir, id, prefix, node, log, skip = false }) {
  return makeSnapshotAndLauncher({ out: path.join(dir, 'dist'), node, log, skip, launcherDir: path.join(prefix, 'releases', id, 'dist') })
}

/**
 * Writes release.json and bin/diceroll-release, makes the tree readable by the services'
 * DynamicUser= uid, renames it into place and checks that its launcher starts. Throws, having
 * removed the release, when it does not.
 */
export function finishRelease({ root, prefix, id, dir, node, unitDir, version, snapshot, from }) {
  const final = path.join(root, 'releases', id)
  const record = { name: 'diceroll', id, version, node, snapshot, prefix, unitDir, made: new Date().toISOString(), from }
  fs.writeFileSync(path.join(dir, 'release.json'), `${JSON.stringify(record, null, 2)}\n`)
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
export function checkStarts(root, prefix, id, node) {
  const dist = path.join(root, 'releases', id, 'dist')
  const [command, args] = root === prefix ? [path.join(dist, 'diceroll'), []] : [node, [path.join(dist, 'launch.cjs')]]
  const run = spawnSync(command, [...args, '--help'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } })
  if (run.status !== 0 || !run.stdout.startsWith('Usage: diceroll')) {
    const why = run.error?.message ?? (run.stderr.trim().split('\n')[0] || `exit ${run.status}`)
    throw new Error(`release ${id} does not start (${command} --help: ${why})`)
  }
}

/** Copies the release's units into `unitDir`, each through a rename: systemd never reads half a file. */
export function installUnits(root, id, unitDir) {
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
export function swap({ root, id, systemd, log }) {
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

function relink(root, name, target) {
  const temp = path.join(root, `.${name}.${process.pid}`)
  fs.rmSync(temp, { force: true })
  fs.symlinkSync(target, temp)
  fs.renameSync(temp, path.join(root, name))
}

/**
 * Release ids that running processes use: the launcher hands node its release's own paths, so
 * they are in the command line, and the native addon is in the memory map.
 */
export function releasesInUse(prefix) {
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
export function prune({ root, prefix, log }) {
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

/** Makes `previous` current and the replaced release `previous`: a second rollback undoes the first. */
export function rollback({ root, prefix, unitDir, systemd, log }) {
  const target = linked(root, 'previous')
  if (target === undefined) throw new Error(`no previous release to roll back to (${path.join(root, 'previous')} does not exist)`)
  if (!fs.existsSync(path.join(root, 'releases', target))) throw new Error(`${path.join(root, 'previous')} points at releases/${target}, which is gone`)
  checkStarts(root, prefix, target, readRelease(root, target).node)
  installUnits(root, target, unitDir)
  swap({ root, id: target, systemd, log })
  prune({ root, prefix, log })
  return target
}

/** The services run as a DynamicUser= uid that owns nothing: files only root could read would not start. */
export function makeReadable(dir) {
  fs.chmodSync(dir, 0o755)
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name)
    if (entry.isDirectory()) makeReadable(p)
    else if (entry.isFile()) fs.chmodSync(p, fs.statSync(p).mode & 0o111 ? 0o755 : 0o644)
  }
}

function shellQuote(text) {
  return `'${text.replaceAll("'", "'\\''")}'`
}
