// The heal after a node upgrade (issue #11): a startup snapshot starts only with the node binary
// that made it, so once the host's node is replaced the launcher falls back to the bundle.
// diceroll-rebuild.service runs `diceroll-release rebuild`, here run directly: it makes a new
// release with blobs for the new binary and swaps it in, never rewriting the live one.
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

t.test('after the node binary changes, rebuild makes a new release for it and swaps it in', async (t) => {
  const p = makePrefix(t)
  const node = path.join(p.base, 'usr/bin/node')
  fs.mkdirSync(path.dirname(node), { recursive: true })
  fs.copyFileSync(fs.realpathSync(process.execPath), node)
  fs.chmodSync(node, 0o755)
  const installed = p.install('--node', node)
  t.equal(installed.status, 0, installed.stderr)
  const a = p.linked() ?? ''
  t.equal(await startKind(t, p.prefix), 'snapshot')
  t.same(p.release('rebuild'), { status: 0, stdout: `diceroll-release: releases/${a} was built by ${node}: nothing to rebuild\n`, stderr: '' })

  replace(node, fs.readFileSync(node))
  t.equal(await startKind(t, p.prefix), 'bundle+code-cache', 'the installed release falls back to the bundle')
  t.match(p.release('list').stdout, new RegExp(`^${a}  \\S+  current  blobs not made by ${node}\\n$`))
  const oldStamp = fs.statSync(path.join(p.prefix, 'releases', a, 'dist/.node'))

  const rebuilt = p.release('rebuild')
  t.equal(rebuilt.status, 0, rebuilt.stderr)
  const b = p.linked() ?? ''
  t.not(b, a, 'a new release')
  t.equal(p.linked('previous'), a)
  t.match(rebuilt.stdout, `diceroll-release: current -> releases/${b} (previous: ${a})\n`)
  t.equal(await startKind(t, p.prefix), 'snapshot', 'the new release starts from its snapshot again')
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
