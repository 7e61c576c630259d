// A failed install (scripts/install-units.mjs) leaves the running release as it was and says
// what failed in one line: a --node that is not node, units that cannot be written after the
// whole release was, another install holding the prefix. A stale lock does not block.
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { makePrefix } from './fixtures/install.js'

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
})
