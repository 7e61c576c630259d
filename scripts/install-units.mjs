#!/usr/bin/env node
// Puts the built app and its systemd units on this host; `--uninstall` takes them away again.
//   sudo npm run install-units -- [--prefix /opt/diceroll] [--node /usr/bin/node]
//   sudo npm run uninstall-units -- [--prefix /opt/diceroll]
// Plain node, no dependencies: it must run where only node (and maybe npm) is installed.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { nativeAddons, productionModules } from './production-modules.mjs'
import { makeSnapshotAndLauncher } from './snapshot.mjs'

const source = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const SOCKETS = ['diceroll-listener.socket', 'diceroll.socket']
const UNITS = [...SOCKETS, 'diceroll.service', 'diceroll@.service']

const { values: opts } = parseArgs({
  options: {
    prefix: { type: 'string', default: '/opt/diceroll' },
    'unit-dir': { type: 'string', default: '/etc/systemd/system' },
    node: { type: 'string', default: process.execPath },
    // Stage into DESTDIR instead of the live system (packaging, offline checks): no systemctl.
    destdir: { type: 'string', default: '' },
    uninstall: { type: 'boolean', default: false },
  },
})

const fail = (message) => {
  console.error(`install-units: ${message}`)
  process.exit(1)
}
const prefix = path.resolve(opts.prefix)
const node = path.resolve(opts.node)
const staged = (p) => (opts.destdir ? path.join(path.resolve(opts.destdir), p) : p)
const unitDir = staged(path.resolve(opts['unit-dir']))
const live = !opts.destdir && fs.existsSync('/run/systemd/system')
const systemctl = (...args) => execFileSync('systemctl', args, { stdio: 'inherit' })

if (opts.uninstall) uninstall()
else install()

function install () {
  if (!fs.existsSync(path.join(source, 'dist/launch.cjs'))) fail(`no ${source}/dist/launch.cjs: run npm run build first`)
  // ProtectHome=yes hides /home, /root and /run/user from the services.
  for (const [what, p] of [['node', node], ['prefix', prefix]]) {
    if (/^\/(home|root|run\/user)(\/|$)/.test(p)) fail(`${what} ${p} is hidden from the services by ProtectHome=yes; use a path outside /home and /root (--${what})`)
  }
  // ExecStart= splits on whitespace.
  if (/\s/.test(node + prefix)) fail('node and prefix paths must not contain whitespace')

  const dest = staged(prefix)
  fs.mkdirSync(dest, { recursive: true })
  for (const dir of ['dist', 'node_modules', 'docs', 'build']) fs.rmSync(path.join(dest, dir), { recursive: true, force: true })
  for (const file of ['package.json', 'package-lock.json']) fs.copyFileSync(path.join(source, file), path.join(dest, file))
  // Not the snapshot and its stamp (a hard link to the building node): they are made again below.
  const rebuilt = new Set([path.join(source, 'dist/diceroll.blob'), path.join(source, 'dist/diceroll-per-connection.blob'), path.join(source, 'dist/.node')])
  for (const dir of ['dist', 'docs']) {
    if (fs.existsSync(path.join(source, dir))) fs.cpSync(path.join(source, dir), path.join(dest, dir), { recursive: true, filter: (p) => !rebuilt.has(p) })
  }
  // A startup snapshot starts only with the node binary that made it: make it with the one the
  // units run. If that fails the launcher runs the bundle, slower and otherwise the same.
  makeSnapshotAndLauncher({ out: path.join(dest, 'dist'), node, log: (message) => console.log(`install-units: ${message}`) })
  // The sd_notify addon, as node-gyp built it at npm ci (not its object files).
  for (const addon of nativeAddons(source)) fs.cpSync(path.join(source, addon), path.join(dest, addon))
  const copied = copyProductionModules(source, dest)
  makeReadable(dest)
  console.log(`install-units: app in ${dest} (dist/ and ${copied} production packages)`)

  fs.mkdirSync(unitDir, { recursive: true })
  for (const unit of UNITS) {
    const text = fs.readFileSync(path.join(source, 'units', unit), 'utf8')
    fs.writeFileSync(path.join(unitDir, unit), text.replaceAll('@NODE@', node).replaceAll('@PREFIX@', prefix))
    fs.chmodSync(path.join(unitDir, unit), 0o644)
  }
  console.log(`install-units: units in ${unitDir} (node: ${node})`)
  if (live) {
    systemctl('daemon-reload')
    console.log(`install-units: done. Start both models with:\n  systemctl enable --now ${SOCKETS.join(' ')}`)
  }
}

// The services run as a DynamicUser= uid that owns nothing: a checkout made under umask 077
// would otherwise install files only root can read.
function makeReadable (dir) {
  fs.chmodSync(dir, 0o755)
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name)
    if (entry.isDirectory()) makeReadable(p)
    else if (entry.isFile()) fs.chmodSync(p, fs.statSync(p).mode & 0o111 ? 0o755 : 0o644)
  }
}

function copyProductionModules (from, to) {
  let modules
  try { modules = productionModules(from) } catch (error) { fail(error.message) }
  for (const rel of modules) {
    // Nested node_modules have lock entries of their own, which may be dev-only.
    const nested = path.join(from, rel, 'node_modules')
    fs.cpSync(path.join(from, rel), path.join(to, rel), { recursive: true, dereference: true, filter: (p) => p !== nested })
  }
  return modules.length
}

function uninstall () {
  const dest = staged(prefix)
  const manifest = path.join(dest, 'package.json')
  if (fs.existsSync(manifest) && JSON.parse(fs.readFileSync(manifest, 'utf8')).name !== 'diceroll') {
    fail(`${dest} does not hold diceroll; not removing it`)
  }
  if (live) {
    // Units that are not loaded make disable/stop fail; uninstall should still go on.
    const quiet = (...args) => { try { execFileSync('systemctl', args, { stdio: 'ignore' }) } catch {} }
    quiet('disable', '--now', ...SOCKETS)
    quiet('stop', 'diceroll.service', 'diceroll@*.service')
  }
  for (const unit of UNITS) fs.rmSync(path.join(unitDir, unit), { force: true })
  fs.rmSync(dest, { recursive: true, force: true })
  if (live) {
    systemctl('daemon-reload')
    try { execFileSync('systemctl', ['reset-failed', 'diceroll*'], { stdio: 'ignore' }) } catch {}
  }
  console.log(`install-units: removed ${UNITS.join(', ')} from ${unitDir} and ${dest}`)
}
