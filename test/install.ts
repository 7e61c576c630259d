// scripts/install-units.mjs as a sysadmin runs it, into a temporary prefix: each install is a
// release of its own, swapped in by renaming one symlink; upgrades keep the previous release
// and any release a running process started from; rollback is one command, from the checkout
// or from the prefix; uninstall removes it all (failures: test/install-failure.ts).
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { get } from './fixtures/run.js'
import { makePrefix, startFromCurrent } from './fixtures/install.js'

// Each install builds two startup snapshots, seconds each on a busy machine.
t.setTimeout(180_000)

const RELEASE_ID = /^\d+\.\d+\.\d+-\d{8}T\d{6}Z(-\d+)?$/
const UNITS = ['diceroll-listener.socket', 'diceroll-rebuild.path', 'diceroll-rebuild.service', 'diceroll.service', 'diceroll.socket', 'diceroll@.service']

t.test('install, upgrades, a held release, rollback and uninstall', async (t) => {
  const p = makePrefix(t)

  const first = p.install()
  t.equal(first.status, 0, `first install: ${first.stderr}`)
  t.equal(first.stderr, '')
  const a = p.linked()
  t.match(a, RELEASE_ID, 'current names a release')
  t.ok(fs.lstatSync(path.join(p.prefix, 'current')).isSymbolicLink(), 'current is a symlink')
  t.equal(fs.readlinkSync(path.join(p.prefix, 'current')), `releases/${a}`, 'relative, so it also holds under --destdir')
  t.same(p.releases(), [a])
  t.equal(p.linked('previous'), undefined, 'no previous release yet')
  t.same(fs.readdirSync(p.unitDir).sort(), UNITS)
  const listener = fs.readFileSync(path.join(p.unitDir, 'diceroll.service'), 'utf8')
  t.match(listener, `\nExecStart=${p.prefix}/current/dist/diceroll --mode=listener `, 'units run the launcher through current')
  t.match(listener, `\nDocumentation=file://${p.prefix}/current/docs/deployment.md\n`)
  t.match(fs.readFileSync(path.join(p.unitDir, 'diceroll-rebuild.path'), 'utf8'), `\nPathChanged=${fs.realpathSync(process.execPath)}\n`)
  t.match(fs.readFileSync(path.join(p.unitDir, 'diceroll-rebuild.service'), 'utf8'), `\nExecStart=${process.execPath} ${p.prefix}/current/scripts/diceroll-release.mjs rebuild\n`)
  const releaseA = path.join(p.prefix, 'releases', a ?? '')
  t.match(fs.readFileSync(path.join(releaseA, 'dist/diceroll'), 'utf8'), `\ndir='${releaseA}/dist'\n`, 'the launcher names its own release, not current')
  t.match(JSON.parse(fs.readFileSync(path.join(releaseA, 'release.json'), 'utf8')), { name: 'diceroll', id: a, node: process.execPath, prefix: p.prefix, unitDir: p.unitDir })
  for (const rel of ['dist/diceroll.blob', 'dist/diceroll-per-connection.blob', 'dist/launch.cjs', 'node_modules/fastify/package.json', 'build/Release', 'docs/deployment.md', 'scripts/diceroll-release.mjs', 'units/diceroll.service']) {
    t.ok(fs.existsSync(path.join(releaseA, rel)), `the release holds ${rel}`)
  }
  t.equal(fs.statSync(path.join(releaseA, 'docs/deployment.md')).mode & 0o777, 0o644, 'readable by the services\' dynamic user')

  // A long-lived process from release A, as diceroll.service would be.
  const held = await startFromCurrent(t, p.prefix)
  t.equal((await get({ port: held.port }, '/healthz')).status, 200)

  t.equal(p.install().status, 0, 'upgrade 1')
  const b = p.linked()
  t.not(b, a, 'a new release')
  t.equal(p.linked('previous'), a, 'previous is the release it replaced')
  const third = p.install()
  t.equal(third.status, 0, 'upgrade 2')
  const c = p.linked()
  t.equal(p.linked('previous'), b)
  t.same(p.releases(), [a, b, c].sort(), 'A is neither current nor previous, and stays: a process runs from it')
  t.match(third.stdout, `install-units: kept releases/${a}: a running process started from it\n`)
  t.equal((await get({ port: held.port }, '/roll')).status, 200, 'the process on A still serves')

  await held.stop()
  const fourth = p.install()
  t.equal(fourth.status, 0, 'upgrade 3')
  const d = p.linked()
  t.same(p.releases(), [c, d].sort(), 'once nothing runs from them, only current and previous stay')
  t.match(fourth.stdout, `install-units: removed releases/${a}\n`)
  t.match(fourth.stdout, `install-units: removed releases/${b}\n`)

  const back = p.install('--rollback')
  t.equal(back.status, 0, `rollback from the checkout: ${back.stderr}`)
  t.equal(p.linked(), c, 'current is the previous release again')
  t.equal(p.linked('previous'), d, 'and previous the one rolled back from')
  t.match(back.stdout, `install-units: rolled back to releases/${c}\n`)
  const undo = p.release('rollback')
  t.equal(undo.status, 0, `rollback from the prefix, without the checkout: ${undo.stderr}`)
  t.equal(p.linked(), d, 'a second rollback undoes the first')
  t.equal(p.linked('previous'), c)
  const listed = p.release('list')
  t.equal(listed.status, 0)
  t.match(listed.stdout, new RegExp(`^${c}  \\S+  previous\\n${d}  \\S+  current\\n$`))

  const removed = p.install('--uninstall')
  t.equal(removed.status, 0, `uninstall: ${removed.stderr}`)
  t.notOk(fs.existsSync(p.prefix), 'the prefix is gone')
  t.same(fs.readdirSync(p.unitDir), [], 'and every unit')
})
