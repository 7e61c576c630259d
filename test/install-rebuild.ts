// The heal after a node upgrade (issue #11): a startup snapshot starts only with the node binary
// that made it, so once the host's node is replaced the launcher falls back to the bundle.
// diceroll-rebuild.service runs `diceroll-release rebuild`, here run directly: it makes a new
// release with blobs for the new binary and swaps it in, never rewriting the live one.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { makePrefix, run, startKind } from './fixtures/install.js'

// An install and a rebuild each build two startup snapshots, seconds each on a busy machine.
t.setTimeout(180_000)

/** What an upgrade of the package does to the binary: a new file renamed over the old one. */
function replace(file: string, content: Buffer | string): void {
  fs.writeFileSync(`${file}.new`, content, { mode: 0o755 })
  fs.renameSync(`${file}.new`, file)
}

/** A long-lived start when the blobs fit the node: the launcher picks it per Node line (LISTENER_START). */
function fittingStart(prefix: string): string {
  const launcher = fs.readFileSync(path.join(prefix, 'current/dist/diceroll'), 'utf8')
  return launcher.includes('if [ -n "$long" ]') ? 'bundle+code-cache' : 'snapshot'
}

t.test('after the node binary changes, rebuild makes a new release for it and swaps it in', async (t) => {
  const p = makePrefix(t)
  const node = path.join(p.base, 'usr/bin/node')
  fs.mkdirSync(path.dirname(node), { recursive: true })
  fs.copyFileSync(fs.realpathSync(process.execPath), node)
  fs.chmodSync(node, 0o755)
  const installed = p.install('--node', node)
  t.equal(installed.status, 0, installed.stderr)
  const a = p.linked() ?? ''
  const FITTING = fittingStart(p.prefix)
  t.equal(await startKind(t, p.prefix), FITTING)
  t.same(p.release('rebuild'), { status: 0, stdout: `diceroll-release: releases/${a} was built by ${node}: nothing to rebuild\n`, stderr: '' })

  replace(node, fs.readFileSync(node))
  t.match(await startKind(t, p.prefix), /^bundle\+code-cache: startup snapshot not used: dist\/diceroll\.blob is missing or was built by another .*\/usr\/bin\/node; run npm run build/, 'the installed release falls back to the bundle, and says so')
  t.match(p.release('list').stdout, new RegExp(`^${a}  \\S+  current  blobs not made by ${node}\\n$`))
  const oldStamp = fs.statSync(path.join(p.prefix, 'releases', a, 'dist/.node'))

  // While dpkg runs (Debian's node and its libnode are two files), the rebuild waits for it.
  const dpkg = path.join(p.base, 'dpkg')
  fs.copyFileSync('/bin/sleep', dpkg)
  fs.chmodSync(dpkg, 0o755)
  const unpacking = spawn(dpkg, ['2'], { stdio: 'ignore' })
  t.teardown(() => { unpacking.kill() })
  const rebuilt = p.release('rebuild')
  t.equal(rebuilt.status, 0, rebuilt.stderr)
  t.match(rebuilt.stdout, /^diceroll-release: waiting for dpkg \(pid \d+\) to finish\n/)
  t.match(fs.readFileSync(`/proc/${unpacking.pid}/stat`, 'utf8'), / \(dpkg\) Z /, 'and built once dpkg had ended (not reaped yet: this process was blocked too)')
  const b = p.linked() ?? ''
  t.not(b, a, 'a new release')
  t.equal(p.linked('previous'), a)
  t.match(rebuilt.stdout, `diceroll-release: current -> releases/${b} (previous: ${a})\n`)
  t.equal(await startKind(t, p.prefix), FITTING, 'the new release starts as fast as the first again')
  t.equal(fs.statSync(path.join(p.prefix, 'releases', b, 'dist/.node')).ino, fs.statSync(node).ino, 'its blobs are the new binary\'s')
  t.match(JSON.parse(fs.readFileSync(path.join(p.prefix, 'releases', b, 'release.json'), 'utf8')), { id: b, node, from: `rebuild of ${a} for a changed ${node}` })
  t.match(fs.readFileSync(path.join(p.prefix, 'releases', b, 'dist/diceroll'), 'utf8'), `\ndir='${p.prefix}/releases/${b}/dist'\n`)
  t.equal(fs.readFileSync(path.join(p.prefix, 'releases', b, 'dist/diceroll.cjs'), 'utf8'), fs.readFileSync(path.join(p.prefix, 'releases', a, 'dist/diceroll.cjs'), 'utf8'), 'the app is the same')
  t.equal(fs.statSync(path.join(p.prefix, 'releases', a, 'dist/.node')).ino, oldStamp.ino, 'the replaced release was not rewritten')
  t.same(p.release('rebuild').stdout, `diceroll-release: releases/${b} was built by ${node}: nothing to rebuild\n`, 'a second run finds nothing to do')

  // A node that makes no snapshot (here: not node at all). The rebuild runs with a working node,
  // as the unit would after an upgrade, and builds with the one the release names.
  replace(node, '#!/bin/sh\nexit 3\n')
  const before = p.releases()
  const failed = run(process.execPath, [path.join(p.prefix, 'current/scripts/diceroll-release.mjs'), 'rebuild', '--no-systemctl'])
  t.equal(failed.status, 1)
  t.match(failed.stderr, new RegExp(`^diceroll-release: rebuild failed, releases/${b} stays current: ${node} made no working startup snapshot\\n$`))
  t.equal(p.linked(), b, 'current did not move')
  t.same(p.releases(), before, 'and no release was added')
})
