// dist/diceroll, the launcher the units run (scripts/launchers.mjs), with a stand-in for node
// that prints the command line it was given: which blob, with which V8 flag, or launch.cjs.
import { spawnSync } from 'node:child_process'
import { chmodSync, linkSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { withScripts } from './fixtures/scripts.js'

function launcherDir(blobs: string[], listenerStart = 'snapshot'): { dir: string; run: (...args: string[]) => string } {
  const dir = mkdtempSync(join(tmpdir(), 'diceroll-launcher-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const node = join(dir, 'fake-node')
  // stderr: the GLIBC_TUNABLES it was given ("(unset)" for none), a shell expansion, not a template.
  // eslint-disable-next-line no-template-curly-in-string
  writeFileSync(node, '#!/bin/sh\necho "$DICEROLL_START_NOTE|$*"\necho "${GLIBC_TUNABLES-(unset)}" >&2\n', { mode: 0o755 })
  linkSync(node, join(dir, '.node'))
  for (const blob of blobs) writeFileSync(join(dir, blob), '')
  const source = withScripts('const { LAUNCHER_SOURCE } = await import(scripts + \'launchers.mjs\'); process.stdout.write(LAUNCHER_SOURCE(args))', { node, check: 'link', listenerStart })
  writeFileSync(join(dir, 'diceroll'), source)
  chmodSync(join(dir, 'diceroll'), 0o755)
  return { dir, run: (...args) => spawnSync(join(dir, 'diceroll'), args, { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } }).stdout.trim() }
}

/** What GLIBC_TUNABLES the launcher in `dir` hands node for `args`, with `env` around it. */
function tunablesFor(dir: string, env: Record<string, string>, ...args: string[]): string {
  return spawnSync(join(dir, 'diceroll'), args, { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', ...env } }).stderr.trim()
}

t.test('--mode=per-connection starts from the blob that is not rehashed; every other mode from the rehashed one; neither with the baseline compiler', async (t) => {
  const { dir, run } = launcherDir(['diceroll.blob', 'diceroll-per-connection.blob'])
  t.equal(run('--mode=per-connection', '--log-level=debug'), `|--no-rehash-snapshot --no-sparkplug --snapshot-blob ${dir}/diceroll-per-connection.blob ${dir}/launch.cjs --mode=per-connection --log-level=debug`)
  t.equal(run('--log-level=debug', '--mode=per-connection'), `|--no-rehash-snapshot --no-sparkplug --snapshot-blob ${dir}/diceroll-per-connection.blob ${dir}/launch.cjs --log-level=debug --mode=per-connection`)
  for (const args of [['--mode=listener'], ['--mode=standalone', '--port=5000'], [], ['--mode=auto'], ['per-connection']]) {
    t.equal(run(...args), `|--no-sparkplug --snapshot-blob ${dir}/diceroll.blob ${dir}/launch.cjs ${args.join(' ')}`.trimEnd(), args.join(' ') || '(no arguments)')
  }
})

t.test("where the line's long-lived start is the bundle, --mode=listener and --mode=standalone run launch.cjs, the rest the snapshot", async (t) => {
  const { dir, run } = launcherDir(['diceroll.blob', 'diceroll-per-connection.blob'], 'bundle')
  t.equal(run('--mode=listener', '--idle-timeout=60'), `|${dir}/launch.cjs --mode=listener --idle-timeout=60`, 'no note: a choice, not a fallback')
  t.equal(run('--port=5000', '--mode=standalone'), `|${dir}/launch.cjs --port=5000 --mode=standalone`)
  t.equal(run('--mode=per-connection'), `|--no-rehash-snapshot --no-sparkplug --snapshot-blob ${dir}/diceroll-per-connection.blob ${dir}/launch.cjs --mode=per-connection`)
  t.equal(run('--mode=auto'), `|--no-sparkplug --snapshot-blob ${dir}/diceroll.blob ${dir}/launch.cjs --mode=auto`)
})

t.test('the long-lived start per Node line', async (t) => {
  const starts = JSON.parse(withScripts('const { listenerStartFor } = await import(scripts + \'launchers.mjs\'); process.stdout.write(JSON.stringify(args.map(listenerStartFor)))', ['v20.20.2', '22.23.5', 'v24.22.3', 'v26.12.1', 'v27.0.0', 'v18.0.0']))
  t.same(starts, ['snapshot', 'bundle', 'snapshot', 'snapshot', 'snapshot', 'snapshot'])
})

t.test('without the per-connection blob, per-connection starts from the rehashed one, with its flags', async (t) => {
  const { dir, run } = launcherDir(['diceroll.blob'])
  t.equal(run('--mode=per-connection'), `|--no-sparkplug --snapshot-blob ${dir}/diceroll.blob ${dir}/launch.cjs --mode=per-connection`)
})

t.test('without a blob, or with a blob from another node, it runs launch.cjs and says why', async (t) => {
  const { dir, run } = launcherDir(['diceroll-per-connection.blob'])
  t.match(run('--mode=listener'), new RegExp(`^startup snapshot not used: .*\\|${dir}/launch.cjs --mode=listener$`))
  writeFileSync(join(dir, 'diceroll.blob'), '')
  rmSync(join(dir, '.node'))
  writeFileSync(join(dir, '.node'), 'another node')
  t.match(run('--mode=per-connection'), new RegExp(`^startup snapshot not used: .*\\|${dir}/launch.cjs --mode=per-connection$`))
})

t.test("a start from a blob gets glibc's malloc tunables, unless GLIBC_TUNABLES is set; a start from launch.cjs none", async (t) => {
  const { MALLOC_TUNABLES } = JSON.parse(withScripts('const { MALLOC_TUNABLES } = await import(scripts + \'launchers.mjs\'); process.stdout.write(JSON.stringify({ MALLOC_TUNABLES }))', {})) as { MALLOC_TUNABLES: string }
  t.equal(MALLOC_TUNABLES, 'glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=33554432')
  const { dir } = launcherDir(['diceroll.blob', 'diceroll-per-connection.blob'])
  for (const mode of ['--mode=per-connection', '--mode=listener', '--mode=standalone']) {
    t.equal(tunablesFor(dir, {}, mode), MALLOC_TUNABLES, `${mode}: set`)
    t.equal(tunablesFor(dir, { GLIBC_TUNABLES: '' }, mode), '', `${mode}: set empty by the unit, left empty`)
    t.equal(tunablesFor(dir, { GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }, mode), 'glibc.malloc.arena_max=2', `${mode}: the unit's own, left as they are`)
  }
  const bundle = launcherDir(['diceroll.blob', 'diceroll-per-connection.blob'], 'bundle')
  t.equal(tunablesFor(bundle.dir, {}, '--mode=listener'), '(unset)', 'the bundle start on a line that chose it: none (not measured there)')
  const stale = launcherDir([])
  t.equal(tunablesFor(stale.dir, {}, '--mode=per-connection'), '(unset)', 'no blob: none')
})
