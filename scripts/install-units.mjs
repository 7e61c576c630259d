#!/usr/bin/env node
// Puts the built app and its systemd units on this host as a new release (scripts/releases.mjs),
// swapped in atomically; `--rollback` goes back to the previous one, `--uninstall` takes it all away.
//   sudo npm run install-units -- [--prefix /opt/diceroll] [--node /usr/bin/node] [--no-snapshot]
//   sudo npm run install-units -- --prefix /opt/diceroll --rollback
//   sudo npm run uninstall-units -- [--prefix /opt/diceroll]
// Plain node, no dependencies: it must run where only node (and maybe npm) is installed.
import { execFileSync, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { nativeAddons, productionModules } from './production-modules.mjs'
import {
  finishRelease, installUnits, linked, makeNodeBound, prune, RELEASE_SCRIPTS, releasesInUse, rollback, SOCKETS, startRelease, swap, UNITS, withLock,
} from './releases.mjs'

const source = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

const { values: opts } = parseArgs({
  options: {
    prefix: { type: 'string', default: '/opt/diceroll' },
    'unit-dir': { type: 'string', default: '/etc/systemd/system' },
    node: { type: 'string', default: process.execPath },
    // Stage into DESTDIR instead of the live system (packaging, offline checks): no systemctl.
    destdir: { type: 'string', default: '' },
    uninstall: { type: 'boolean', default: false },
    rollback: { type: 'boolean', default: false },
    // Run from the bundle: for a node that cannot make a startup snapshot.
    'no-snapshot': { type: 'boolean', default: false },
  },
})

const log = (message) => console.log(`install-units: ${message}`)
const fail = (message) => {
  console.error(`install-units: ${message}`)
  process.exit(1)
}
const prefix = path.resolve(opts.prefix)
const node = path.resolve(opts.node)
const staged = (p) => (opts.destdir ? path.join(path.resolve(opts.destdir), p) : p)
const root = staged(prefix)
const unitDir = staged(path.resolve(opts['unit-dir']))
const systemd = !opts.destdir && fs.existsSync('/run/systemd/system')

try {
  if (opts.uninstall) uninstall()
  else if (opts.rollback) {
    if (!fs.existsSync(path.join(root, 'releases'))) fail(`nothing installed in ${root} (no releases/): nothing to roll back`)
    withLock(root, () => log(`rolled back to releases/${rollback({ root, prefix, unitDir, systemd, log })}`))
  } else install()
} catch (error) {
  fail(error.message)
}

function install() {
  if (!fs.existsSync(path.join(source, 'dist/launch.cjs'))) fail(`no ${source}/dist/launch.cjs: run npm run build first`)
  // ProtectHome=yes hides /home, /root and /run/user from the services.
  for (const [what, p] of [['node', node], ['prefix', prefix]]) {
    if (/^\/(home|root|run\/user)(\/|$)/.test(p)) fail(`${what} ${p} is hidden from the services by ProtectHome=yes; use a path outside /home and /root (--${what})`)
  }
  // ExecStart= splits on whitespace.
  if (/\s/.test(node + prefix)) fail('node and prefix paths must not contain whitespace')
  const probe = spawnSync(node, ['--version'], { encoding: 'utf8' })
  if (probe.status !== 0 || !/^v\d+\./.test(probe.stdout)) {
    fail(`--node ${node} is not a working node (${probe.error?.message ?? `\`${node} --version\` exited ${probe.status}`}): name the node binary the services should run`)
  }
  const modules = productionModules(source)
  const { version: appVersion } = JSON.parse(fs.readFileSync(path.join(source, 'package.json'), 'utf8'))

  withLock(root, () => {
    const was = linked(root)
    const { id, dir } = startRelease(root, appVersion)
    try {
      writeRelease(dir, id, modules)
      finishRelease({ root, prefix, id, dir, node, unitDir: path.resolve(opts['unit-dir']), version: appVersion, snapshot: !opts['no-snapshot'], from: `install from ${source}` })
      installUnits(root, id, unitDir)
    } catch (error) {
      for (const partial of [dir, path.join(root, 'releases', id)]) fs.rmSync(partial, { recursive: true, force: true })
      throw new Error(`install failed, ${was === undefined ? 'nothing was installed' : `releases/${was} stays current`}: ${error.message}`)
    }
    log(`release ${path.join(root, 'releases', id)} (dist/ and ${modules.length} production packages), units in ${unitDir} (node: ${node})`)
    swap({ root, id, systemd, log })
    prune({ root, prefix, log })
    removeFlatLayout()
  })
  if (systemd) log(`done. Start both models (and the rebuild after a node upgrade) with:\n  systemctl enable --now ${SOCKETS.join(' ')} diceroll-rebuild.path`)
}

/** Everything of one release, in `dir`; its launcher and blobs are made for `node`. */
function writeRelease(dir, id, modules) {
  for (const file of ['package.json', 'package-lock.json']) fs.copyFileSync(path.join(source, file), path.join(dir, file))
  // Not the snapshot, its stamp (a hard link to the building node) nor the launcher: made again below.
  const rebuilt = new Set(['diceroll.blob', 'diceroll-per-connection.blob', '.node', 'diceroll'].map((file) => path.join(source, 'dist', file)))
  for (const sub of ['dist', 'docs']) {
    if (fs.existsSync(path.join(source, sub))) fs.cpSync(path.join(source, sub), path.join(dir, sub), { recursive: true, filter: (p) => !rebuilt.has(p) })
  }
  fs.mkdirSync(path.join(dir, 'scripts'))
  for (const script of RELEASE_SCRIPTS) fs.copyFileSync(path.join(source, 'scripts', script), path.join(dir, 'scripts', script))
  // A startup snapshot starts only with the node binary that made it: make it with the one the
  // units run. Without one the launcher runs the bundle, slower: not an upgrade to swap in unasked.
  if (!makeNodeBound({ dir, id, prefix, node, log, skip: opts['no-snapshot'] }) && !opts['no-snapshot']) {
    throw new Error(`${node} made no working startup snapshot (the lines above say why); --no-snapshot installs a release that runs from the bundle`)
  }
  // The sd_notify addon, as node-gyp built it at npm ci (not its object files).
  for (const addon of nativeAddons(source)) fs.cpSync(path.join(source, addon), path.join(dir, addon))
  for (const rel of modules) {
    // Nested node_modules have lock entries of their own, which may be dev-only.
    const nested = path.join(source, rel, 'node_modules')
    fs.cpSync(path.join(source, rel), path.join(dir, rel), { recursive: true, dereference: true, filter: (p) => p !== nested })
  }
  // The units as this release wants them: a rollback puts them back with it. The path unit
  // watches the binary and, when it is a symlink, the file it leads to (what an upgrade replaces).
  const watched = [...new Set([node, fs.realpathSync(node)])].map((p) => `PathChanged=${p}`).join('\n')
  fs.mkdirSync(path.join(dir, 'units'))
  for (const unit of UNITS) {
    const text = fs.readFileSync(path.join(source, 'units', unit), 'utf8')
    fs.writeFileSync(path.join(dir, 'units', unit), text.replaceAll('PathChanged=@NODE@', watched).replaceAll('@NODE@', node).replaceAll('@PREFIX@', prefix))
  }
}

// What installs before releases left in the prefix itself (PREFIX/dist, …): removed once
// nothing runs from it any more, which after the listener's restart is the usual case.
function removeFlatLayout() {
  if (!fs.existsSync(path.join(root, 'dist'))) return
  const marker = `${path.join(prefix, 'dist')}/`
  const used = fs.readdirSync('/proc').some((pid) => {
    try { return fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes(marker) } catch { return false }
  })
  if (used) return log(`kept ${path.join(root, 'dist')} of the install before releases: a running process started from it; run the install again later to remove it`)
  for (const old of ['dist', 'node_modules', 'docs', 'build', 'package.json', 'package-lock.json']) fs.rmSync(path.join(root, old), { recursive: true, force: true })
  log(`removed the install before releases (${path.join(root, 'dist')} and the rest)`)
}

function uninstall() {
  const manifest = [path.join(root, 'current/release.json'), path.join(root, 'package.json')].find((file) => fs.existsSync(file))
  if (manifest !== undefined && JSON.parse(fs.readFileSync(manifest, 'utf8')).name !== 'diceroll') {
    fail(`${root} does not hold diceroll; not removing it`)
  }
  if (systemd) {
    // Units that are not loaded make disable/stop fail; uninstall should still go on.
    const quiet = (...args) => { try { execFileSync('systemctl', args, { stdio: 'ignore' }) } catch {} }
    quiet('disable', '--now', ...SOCKETS, 'diceroll-rebuild.path')
    quiet('stop', 'diceroll.service', 'diceroll@*.service', 'diceroll-rebuild.service')
  }
  for (const unit of UNITS) fs.rmSync(path.join(unitDir, unit), { force: true })
  const inUse = fs.existsSync(path.join(root, 'releases')) ? [...releasesInUse(prefix)] : []
  if (inUse.length > 0) log(`removing releases still in use by running processes: ${inUse.join(', ')}`)
  fs.rmSync(root, { recursive: true, force: true })
  if (systemd) {
    execFileSync('systemctl', ['daemon-reload'], { stdio: 'inherit' })
    try { execFileSync('systemctl', ['reset-failed', 'diceroll*'], { stdio: 'ignore' }) } catch {}
  }
  console.log(`install-units: removed ${UNITS.join(', ')} from ${unitDir} and ${root}`)
}
