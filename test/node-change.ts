// The host's node changes under a built tree (a Node upgrade replaces the binary): the launcher
// can no longer use the startup snapshot, and says so where an operator looks. A copy of the
// built tree runs a copy of this node; the copy is then replaced by a new file (another line's
// node when scripts/node-line.mjs has fetched one, else the same bytes under a new inode, which
// the launcher cannot tell from an upgrade either).
import { spawn } from 'node:child_process'
import { chmodSync, copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import t from 'tap'
import { freePort, logLines } from './fixtures/run.js'
import { withScripts } from './fixtures/scripts.js'

// Four starts of the service and two copies of a node binary: more than tap's default 30 s on a busy machine.
t.setTimeout(120_000)

const ROOT = resolve(import.meta.dirname, '..')
const DIST = join(ROOT, 'dist')
const OTHER_LINE = ['26.12.1', '24.22.3', '22.23.5']
  // Where scripts/node-line.mjs keeps them (root's under /var/cache).
  .map((version) => join(process.getuid?.() === 0 ? '/var/cache' : process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'diceroll-node', version, 'bin', 'node'))
  .find((node) => existsSync(node) && !process.version.startsWith(`v${node.split('/').at(-3)!.split('.')[0]}.`))

/** Standalone under a stand-in notify socket: the first datagram (READY=1, STATUS=) and stderr. */
async function startOnce(launcher: string): Promise<{ notified: string; stderr: string; healthz: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'diceroll-notify-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const port = await freePort()
  // Node has no unix datagram sockets: a few lines of Python play systemd's notify socket, ask
  // /healthz once READY=1 came, and stop the service.
  const script = `import socket, subprocess, sys, urllib.request
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1]); s.settimeout(20)
p = subprocess.Popen(sys.argv[3:], env={'PATH': '/usr/bin:/bin', 'NOTIFY_SOCKET': sys.argv[1]})
try:
  print(s.recv(500).decode())
  print(urllib.request.urlopen('http://127.0.0.1:' + sys.argv[2] + '/healthz').status)
finally: p.terminate(); p.wait()`
  const run = spawn('python3', ['-c', script, join(dir, 'notify'), String(port), launcher, '--mode=standalone', `--port=${port}`], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  run.stdout.on('data', (chunk: Buffer) => (stdout += chunk))
  run.stderr.on('data', (chunk: Buffer) => (stderr += chunk))
  await new Promise((done) => run.once('close', done))
  // The datagram's lines, then the status of /healthz.
  const lines = stdout.trim().split('\n')
  const healthz = Number(lines.pop())
  return { notified: lines.join('\n'), stderr, healthz }
}

t.test('after the node binary changes, the listener warns once and STATUS= says why, and it still serves', { skip: !existsSync(join(DIST, 'diceroll.blob')) && 'no startup snapshot was built' }, async (t) => {
  const tree = mkdtempSync(join(tmpdir(), 'diceroll-node-change-'))
  t.teardown(() => rmSync(tree, { recursive: true, force: true }))
  mkdirSync(join(tree, 'dist'))
  mkdirSync(join(tree, 'bin'))
  mkdirSync(join(tree, 'build/Release'), { recursive: true })
  for (const file of ['launch.cjs', 'diceroll.cjs', 'diceroll.cjs.cache', 'diceroll.blob', 'diceroll-per-connection.blob', 'snapshot-lazy.cjs']) {
    if (existsSync(join(DIST, file))) copyFileSync(join(DIST, file), join(tree, 'dist', file))
  }
  copyFileSync(join(ROOT, 'build/Release/sd_notify.node'), join(tree, 'build/Release/sd_notify.node'))
  const node = join(tree, 'bin/node')
  copyFileSync(process.execPath, node)
  chmodSync(node, 0o755)
  linkSync(node, join(tree, 'dist/.node'))
  // Both launchers a build can write: long-lived modes from the snapshot, or from the bundle.
  const launcherFor = (listenerStart: string): string => {
    const file = join(tree, 'dist', listenerStart === 'snapshot' ? 'diceroll' : 'diceroll-bundle')
    writeFileSync(file, withScripts('const { LAUNCHER_SOURCE } = await import(scripts + \'launchers.mjs\'); process.stdout.write(LAUNCHER_SOURCE(args))', { node, check: 'link', listenerStart }), { mode: 0o755 })
    return file
  }
  const launcher = launcherFor('snapshot')
  const bundleLauncher = launcherFor('bundle')

  const before = await startOnce(launcher)
  t.match(before.notified, /^READY=1\nSTATUS=serving 0 connections, 0 requests$/, 'the node that built the blob: a plain STATUS=')
  t.same(logLines(before.stderr).filter((line) => line.level === 40), [], 'and no warn line')
  t.equal(before.healthz, 200)
  const bundleBefore = await startOnce(bundleLauncher)
  t.match(bundleBefore.notified, /^READY=1\nSTATUS=serving 0 connections, 0 requests$/, 'from the bundle by choice: a plain STATUS= too')
  t.same(logLines(bundleBefore.stderr).filter((line) => line.level === 40), [])

  // What a package upgrade does: a new file renamed over the old path.
  copyFileSync(OTHER_LINE ?? process.execPath, `${node}.new`)
  chmodSync(`${node}.new`, 0o755)
  renameSync(`${node}.new`, node)
  const after = await startOnce(launcher)
  const slow = /; slow start: startup snapshot not used: dist\/diceroll\.blob is missing or was built by another .*\/bin\/node; run npm run build/
  t.match(after.notified, new RegExp(`^READY=1\\nSTATUS=serving 0 connections, 0 requests${slow.source}`), 'STATUS= says the start was slow, and why')
  const warned = logLines(after.stderr).filter((line) => line.level === 40)
  t.equal(warned.length, 1, `one warn line (${OTHER_LINE ?? 'a new copy of this node'})`)
  t.match(warned[0]?.msg, /^slow start: startup snapshot not used: /)
  t.equal(after.healthz, 200, 'it still serves, from the bundle')
  if (OTHER_LINE !== undefined) t.match(warned[0]?.reason, /code cache rejected/, "another line's node also refuses the code cache")
  // Started from the bundle by choice, the listener still says that the blobs no longer fit: the
  // per-connection instances, which start from them, have become slower.
  const bundleAfter = await startOnce(bundleLauncher)
  const cacheRefused = OTHER_LINE === undefined ? '' : '; code cache rejected: it was made by another Node binary or with other flags; run npm run build'
  t.match(bundleAfter.notified, new RegExp(`${slow.source} \\(per-connection instances start slower\\)${cacheRefused}$`), 'from the bundle by choice: STATUS= says the blobs do not fit')
  t.equal(logLines(bundleAfter.stderr).filter((line) => line.level === 40).length, 1)
  t.equal(bundleAfter.healthz, 200)
})
