#!/usr/bin/env node
// The releases of an installed prefix, without the source checkout: every release carries this
// file, and PREFIX/diceroll-release runs the current one's with the node it was installed for.
//   sudo /opt/diceroll/diceroll-release list
//   sudo /opt/diceroll/diceroll-release rollback     back to the previous release (again: undo)
//   sudo /opt/diceroll/diceroll-release rebuild      blobs for a changed node, as a new release
// diceroll-rebuild.service runs `rebuild` when diceroll-rebuild.path sees the node binary change.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { builtFor, rebuild } from './rebuild.mjs'
import { linked, readRelease, releasesInUse, rollback, withLock } from './releases.mjs'

const USAGE = 'usage: diceroll-release list|rollback|rebuild [--no-systemctl]'
const say = (message) => console.log(`diceroll-release: ${message}`)
const fail = (message) => {
  console.error(`diceroll-release: ${message}`)
  process.exit(1)
}

let parsed
try {
  parsed = parseArgs({ allowPositionals: true, options: { 'no-systemctl': { type: 'boolean', default: false } } })
} catch (error) {
  fail(`${error.message}; ${USAGE}`)
}
const [command, ...extra] = parsed.positionals
if (extra.length > 0 || !['list', 'rollback', 'rebuild'].includes(command ?? '')) fail(`${command === undefined ? 'no command' : `unknown command ${[command, ...extra].join(' ')}`}; ${USAGE}`)

// This file is PREFIX/releases/ID/scripts/diceroll-release.mjs, symlinks resolved by node. The
// prefix is kept as the install spelled it: the launchers put that spelling in command lines.
const release = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const own = readRelease(path.dirname(path.dirname(release)), path.basename(release))
if (!fs.existsSync(own.prefix) || fs.realpathSync(own.prefix) !== path.dirname(path.dirname(release))) {
  fail(`this release was installed for ${own.prefix}, not ${path.dirname(path.dirname(release))}; run the one in ${own.prefix}`)
}
const root = own.prefix
// --no-systemctl: for a prefix no unit runs from (tests, a staging copy).
const systemd = !parsed.values['no-systemctl'] && fs.existsSync('/run/systemd/system')
const options = { root, prefix: root, unitDir: own.unitDir, systemd, log: say }

try {
  if (command === 'list') list()
  else if (command === 'rollback') withLock(root, () => say(`rolled back to releases/${rollback(options)}`))
  // Started by the path unit, perhaps while an install that replaced node still runs.
  else withLock(root, () => rebuild(options), 600)
} catch (error) {
  fail(error.message)
}

function list() {
  const inUse = releasesInUse(root)
  const marks = { [linked(root) ?? '']: 'current', [linked(root, 'previous') ?? '']: 'previous' }
  for (const id of fs.readdirSync(path.join(root, 'releases')).filter((name) => !name.startsWith('.')).sort()) {
    const { node, made } = readRelease(root, id)
    const notes = [marks[id], inUse.has(id) ? 'in use' : undefined, builtFor(path.join(root, 'releases', id, 'dist'), node) ? undefined : `blobs not made by ${node}`]
    console.log([id, made, ...notes.filter(Boolean)].join('  '))
  }
}
