// What the benchmark runs: each variant is a command line, as a unit's ExecStart= would hold it.
// The optimisation steps are variants too, so each step is measured against the others in the
// same run. prepare() makes the step artifacts that `npm run build` does not ship.
import { execFileSync, spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { WRK } from './load.mjs'
import { MALLOC_TUNABLES, PER_CONNECTION_FLAGS } from '../../scripts/launchers.mjs'

export const PYTHON = '/usr/bin/python3' // Debian's, where python3-flask installs

/** `proxyPort`: where the app behind systemd-socket-proxyd listens. */
export function variants(root, work, { proxyPort }) {
  const dist = join(root, 'dist')
  const node = process.execPath
  const servers = join(root, 'bench/servers')
  // The shipped per-connection start without the launcher: the last two steps differ only by its environment.
  const shippedPerConnection = [node, ...PER_CONNECTION_FLAGS, '--snapshot-blob', join(dist, 'diceroll-per-connection.blob'), join(dist, 'launch.cjs')]
  return {
    // Process start alone: the floor every Node variant pays.
    nodeStart: { label: '`node -e 0`', argv: [node, '-e', '0'] },
    net: { short: 'bare node:net responder', label: 'bare `node:net` responder', argv: [node, join(servers, 'net-responder.cjs')] },
    httpOnce: { short: 'bare node:http, one request', label: 'bare `node:http`, one request per process', argv: [node, join(servers, 'http-responder.cjs')] },
    http: { label: 'bare `node:http` server', argv: [node, join(servers, 'bare-http.cjs')] },
    modules: { short: 'diceroll, plain modules', label: 'diceroll, plain modules (`node dist/main.js`)', argv: [node, join(dist, 'main.js')], step: 'Fastify from node_modules (tsc output)' },
    bundle: { short: 'bundle', label: 'diceroll, bundle', argv: [node, join(work, 'bundle/launch.cjs')], step: 'esbuild single-file bundle (minified)' },
    bundleCacheEager: { short: '+ code cache', label: 'diceroll, bundle + code cache, every module loaded', argv: [node, join(work, 'eager/launch.cjs')], step: '+ V8 code cache made after real requests' },
    bundleCache: { short: '+ load only what is used', label: 'diceroll, bundle + code cache', argv: [node, join(dist, 'launch.cjs')], step: '+ our own validator for flat query schemas; Ajv, fast-json-stringify, type-is (mime-db), thread-stream, proxy-addr loaded only if used' },
    snapshotEager: { short: '(snapshot, everything loaded)', label: 'diceroll, snapshot, every module loaded', argv: [node, '--snapshot-blob', join(work, 'eager/diceroll.blob'), join(work, 'eager/launch.cjs')], step: 'the snapshot below without the step above (not shipped)', aside: true },
    // The snapshot steps before the pruned one run blobs with the code cache of every builtin
    // (--no-prune), and those before the last the baseline compiler (--sparkplug).
    snapshotDirect: { short: '+ startup snapshot of the ready app', label: 'diceroll, snapshot (node --snapshot-blob)', argv: [node, '--snapshot-blob', join(work, 'full/diceroll.blob'), join(work, 'full/launch.cjs')], step: '+ startup snapshot holding the built, ready app, node started directly' },
    snapshotNoRehash: { short: '+ --no-rehash-snapshot (per-connection blob)', label: 'diceroll, per-connection snapshot + --no-rehash-snapshot', argv: [node, '--no-rehash-snapshot', '--snapshot-blob', join(work, 'full/diceroll-per-connection.blob'), join(work, 'full/launch.cjs')], step: '+ per-connection instances start from their own blob with `--no-rehash-snapshot`' },
    snapshotPruned: { short: '+ code cache of run-time builtins only', label: 'diceroll, per-connection snapshot, code cache pruned', argv: [node, '--no-rehash-snapshot', '--snapshot-blob', join(work, 'sparkplug/diceroll-per-connection.blob'), join(work, 'sparkplug/launch.cjs')], step: '+ the blob keeps V8\'s code cache only for the builtins loaded at run time (21 of 324–443)' },
    snapshotNoSparkplug: { short: '+ no baseline compiler', label: 'diceroll, per-connection snapshot, --no-sparkplug', argv: shippedPerConnection, step: '+ per-connection instances run without V8\'s baseline compiler (`--no-sparkplug`)' },
    snapshotTunables: { short: '+ glibc malloc tunables', label: "diceroll, per-connection snapshot, glibc's malloc tunables", argv: shippedPerConnection, env: { GLIBC_TUNABLES: MALLOC_TUNABLES }, step: "+ glibc's malloc puts the blob's two ~5 MB buffers on its heap, in transparent huge pages (`GLIBC_TUNABLES`)" },
    diceroll: { short: 'dist/diceroll launcher (shipped)', label: 'diceroll (`dist/diceroll`, shipped)', argv: [join(dist, 'diceroll')], step: 'the shipped launcher: `dist/diceroll` (sh, exec node with the snapshot)' },
    // The peers: Fastify as its docs write it, from node_modules; per-connection, the connection is
    // fd 3 (no StandardInput=socket), since its logger writes to stdout.
    fastify: { label: 'stock Fastify 5, `fastify({ logger: true })`', argv: [node, join(servers, 'stock-fastify.cjs')], inetd: false },
    fastifyQuiet: { label: 'stock Fastify 5, no logger', argv: [node, join(servers, 'stock-fastify.cjs'), '--no-logger'], inetd: false },
    proxyd: { label: 'stock Fastify 5 (`logger: true`) behind `systemd-socket-proxyd --exit-idle-time=`', argv: ['/bin/bash', join(servers, 'behind-proxyd.sh'), String(proxyPort), node, join(servers, 'stock-fastify.cjs')] },
    flask: { short: 'Flask + werkzeug', label: 'Flask + werkzeug (the classic recipe)', argv: [PYTHON, join(servers, 'flask_dice.py')] },
  }
}

/**
 * Builds the step artifacts that are not shipped: every module loaded at start (scripts/build.mjs
 * --no-lazy) and that bundle without its code cache; blobs with every builtin's code cache
 * (--no-prune); per-connection blobs with V8's baseline compiler (--sparkplug).
 */
export function prepare(root, work, { steps }) {
  const dist = join(root, 'dist')
  for (const blob of ['diceroll.blob', 'diceroll-per-connection.blob']) {
    if (!existsSync(join(dist, blob))) throw new Error(`dist/${blob} is missing: npm run build could not make the startup snapshot`)
  }
  if (steps) {
    for (const [dir, flags] of [['eager', ['--no-lazy', '--no-prune', '--sparkplug']], ['full', ['--no-prune', '--sparkplug']], ['sparkplug', ['--sparkplug']]]) {
      const made = spawnSync(process.execPath, [join(root, 'scripts/build.mjs'), `--out=${join(work, dir)}`, ...flags], { encoding: 'utf8' })
      if (made.status !== 0) throw new Error(`cannot build the step variants: ${made.stderr}`)
    }
    mkdirSync(join(work, 'bundle'), { recursive: true })
    for (const file of ['launch.cjs', 'diceroll.cjs']) copyFileSync(join(work, 'eager', file), join(work, 'bundle', file))
  }
}

/** Are Flask, GNU time and wrk there? If not and we may, install them from Debian. */
/** apt-get install of Debian packages, as root only; an out-of-date index is updated once. */
export function aptInstall(packages) {
  if (packages.length === 0 || process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) return
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  const apt = (args) => spawnSync('apt-get', ['-q', '-o', 'DPkg::Lock::Timeout=600', ...args], { env, encoding: 'utf8', timeout: 600_000 })
  if (apt(['install', '-y', ...packages]).status === 0) return
  apt(['update'])
  apt(['install', '-y', ...packages])
}

export function ensurePackages({ install }) {
  const missing = []
  if (spawnSync(PYTHON, ['-c', 'import flask'], { stdio: 'ignore' }).status !== 0) missing.push('python3-flask')
  if (!existsSync('/usr/bin/time')) missing.push('time')
  if (!existsSync(WRK)) missing.push('wrk')
  if (install) aptInstall(missing)
  return {
    flask: spawnSync(PYTHON, ['-c', 'import flask'], { stdio: 'ignore' }).status === 0,
    time: existsSync('/usr/bin/time'),
    wrk: existsSync(WRK),
    flaskVersion: flaskVersion(),
    missing,
  }
}

function flaskVersion() {
  try {
    return execFileSync(PYTHON, ['-c', 'import importlib.metadata as m; print(m.version("flask"), m.version("werkzeug"))'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return undefined
  }
}
