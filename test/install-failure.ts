// A failed install (scripts/install-units.mjs) leaves the running release as it was and says
// what failed in one line: a --node that is not node or makes no snapshot, units that cannot be written after the
// whole release was, another install holding the prefix. A stale lock does not block; --destdir
// stages a prefix for another root.
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { makePrefix, run, startKind } from './fixtures/install.js'

// Each install builds two startup snapshots, seconds each on a busy machine.
t.setTimeout(180_000)

t.test('a failed install leaves the running release as it was, and says what failed in one line', async (t) => {
  const p = makePrefix(t)
  // A lock left by a process that is gone does not block an install (Linux pids stay below 2^22).
  fs.mkdirSync(p.prefix, { recursive: true })
  fs.writeFileSync(path.join(p.prefix, '.lock'), '9999999')
  const installed = p.install()
  t.equal(installed.status, 0, installed.stderr)
  t.notOk(fs.existsSync(path.join(p.prefix, '.lock')), 'the install took the stale lock and let go of it')
  const current = p.linked()
  const before = p.tree()

  const notNode = p.install('--node', '/bin/false')
  t.equal(notNode.status, 1)
  t.equal(notNode.stderr, 'install-units: --node /bin/false is not a working node (`/bin/false --version` exited 1): name the node binary the services should run\n')

  // Fails late, after the whole release was written: the units cannot go where they should.
  const blocked = path.join(p.base, 'not-a-directory')
  fs.writeFileSync(blocked, '')
  const unitsBlocked = p.install('--unit-dir', blocked)
  t.equal(unitsBlocked.status, 1)
  t.match(unitsBlocked.stderr, new RegExp(`^install-units: install failed, releases/${current} stays current: EEXIST: file already exists, mkdir '${blocked}'\\n$`))

  // A node that runs but cannot build a startup snapshot: the release would only be slower.
  const noSnapshots = path.join(p.base, 'bin/node')
  fs.mkdirSync(path.dirname(noSnapshots))
  fs.writeFileSync(noSnapshots, `#!/bin/sh\nfor arg; do [ "$arg" = --build-snapshot ] && { echo 'error: no snapshots here' >&2; exit 1; }; done\nexec ${process.execPath} "$@"\n`, { mode: 0o755 })
  const slower = p.install('--node', noSnapshots)
  t.equal(slower.status, 1)
  t.equal(slower.stderr, `install-units: install failed, releases/${current} stays current: ${noSnapshots} made no working startup snapshot (the lines above say why); --no-snapshot installs a release that runs from the bundle\n`)
  t.match(slower.stdout, 'no startup snapshot diceroll.blob, the launcher will run launch.cjs: error: no snapshots here\n')

  fs.writeFileSync(path.join(p.prefix, '.lock'), String(process.pid))
  const locked = p.install()
  t.equal(locked.status, 1)
  t.equal(locked.stderr, `install-units: another install, rollback or rebuild (pid ${process.pid}) holds ${p.prefix}/.lock; wait for it\n`)
  fs.rmSync(path.join(p.prefix, '.lock'))

  t.equal(p.linked(), current, 'current did not move')
  t.same(p.tree(), before, 'not a file was added or removed')

  const noPrevious = p.release('rollback')
  t.equal(noPrevious.status, 1)
  t.equal(noPrevious.stderr, `diceroll-release: no previous release to roll back to (${p.prefix}/previous does not exist)\n`)
  t.equal(p.linked(), current)
  // Asked for, a release without a snapshot installs, and the rebuild leaves it so.
  const bundled = p.install('--node', noSnapshots, '--no-snapshot')
  t.equal(bundled.status, 0, bundled.stderr)
  t.equal(await startKind(t, p.prefix), 'bundle+code-cache: startup snapshot not used: none was built')
  t.equal(p.release('rebuild').stdout, `diceroll-release: releases/${p.linked()} was installed with --no-snapshot: nothing to rebuild\n`)
})

t.test('--destdir stages the whole prefix for another root, and touches nothing outside it', async (t) => {
  const p = makePrefix(t)
  const stage = path.join(p.base, 'stage')
  // The final prefix does not exist on this host: the staged release cannot run from it yet.
  const final = path.join(p.base, 'final/opt/diceroll')
  const staged = run(process.execPath, ['scripts/install-units.mjs', '--destdir', stage, '--prefix', final, '--unit-dir', '/etc/systemd/system', '--no-snapshot'])
  t.equal(staged.status, 0, staged.stderr)
  const root = path.join(stage, final)
  const id = path.basename(fs.readlinkSync(path.join(root, 'current')))
  t.match(fs.readFileSync(path.join(root, 'releases', id, 'dist/diceroll'), 'utf8'), `\ndir='${final}/releases/${id}/dist'\n`, 'the launcher names the final path')
  t.match(fs.readFileSync(path.join(stage, 'etc/systemd/system/diceroll@.service'), 'utf8'), `\nExecStart=${final}/current/dist/diceroll --mode=per-connection\n`)
  t.notOk(fs.existsSync(path.join(p.base, 'final')), 'nothing was written to the final path')
  t.equal(fs.existsSync('/etc/systemd/system/diceroll@.service'), false, 'nor to the host\'s unit directory')
  const removed = run(process.execPath, ['scripts/install-units.mjs', '--uninstall', '--destdir', stage, '--prefix', final, '--unit-dir', '/etc/systemd/system'])
  t.equal(removed.status, 0, removed.stderr)
  t.same(fs.readdirSync(path.join(stage, 'etc/systemd/system')), [])
  t.notOk(fs.existsSync(root))
})
