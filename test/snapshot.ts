// The optimised artifact (docs/benchmarks.md): the dist/diceroll launcher starts from the
// startup snapshot, which holds an app built at build time. Everything a process reads at run
// time must still be its own: randomness, pid, config, environment. And when the snapshot or
// the code cache cannot be used, the service still works and its debug log says why.
import { spawn } from 'node:child_process'
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import t from 'tap'
import { cleanEnv, freePort, get, logLines, requestLines, waitFor } from './fixtures/run.js'
import { withScripts } from './fixtures/scripts.js'

const DIST = resolve(import.meta.dirname, '../dist')
const snapshotBuilt = existsSync(join(DIST, 'diceroll.blob'))

interface Activated {
  port: number
  stderr: () => string
  stop: () => Promise<void>
}

/** systemd-socket-activate --accept --inetd: one launcher process per connection (or one listener, the other model). */
async function perConnection(launcher: string, args: string[], env: Record<string, string> = {}, model: 'per-connection' | 'listener' = 'per-connection'): Promise<Activated> {
  const port = await freePort()
  const setEnv = Object.entries(env).flatMap(([name, value]) => ['-E', `${name}=${value}`])
  const accept = model === 'per-connection' ? ['--accept', '--inetd'] : []
  const child = spawn('systemd-socket-activate', [...accept, ...setEnv, '-l', `127.0.0.1:${port}`, launcher, `--mode=${model}`, ...args], {
    env: cleanEnv(),
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk))
  const exited = new Promise<void>((done) => child.once('close', () => done()))
  await new Promise<void>((ready, fail) => {
    child.stderr.on('data', () => stderr.includes('Listening on ') && ready())
    child.once('close', (code) => fail(new Error(`systemd-socket-activate exited ${code}: ${stderr}`)))
  })
  return {
    port,
    stderr: () => stderr,
    stop: async () => {
      child.kill('SIGTERM')
      await exited
    },
  }
}

/** The JSON lines with this msg, once `count` of them have been written (instances log as they exit). */
async function linesWith(stderr: () => string, msg: string, count: number): Promise<Record<string, unknown>[]> {
  for (let i = 0; i < 200; i++) {
    const lines = logLines(stderr()).filter((line) => line.msg === msg)
    if (lines.length >= count) return lines
    await new Promise((done) => setTimeout(done, 20))
  }
  throw new Error(`fewer than ${count} "${msg}" lines in: ${stderr()}`)
}

t.test('instances from one snapshot roll independently and each knows its own pid', { skip: !snapshotBuilt && 'no startup snapshot was built' }, async (t) => {
  const activated = await perConnection(join(DIST, 'diceroll'), ['--log-level=debug'])
  t.teardown(activated.stop)
  const bodies: string[] = []
  for (let i = 0; i < 3; i++) bodies.push((await get({ port: activated.port }, '/roll?dice=100d1000')).body)
  t.equal(new Set(bodies).size, 3, 'three different sets of 100 rolls: no random state was frozen into the snapshot')
  const started = await linesWith(activated.stderr, 'started', 3)
  t.same(started.map((line) => line.start), ['snapshot', 'snapshot', 'snapshot'])
  const spawned = [...activated.stderr().matchAll(/ as PID (\d+)\./g)].map((match) => Number(match[1]))
  const requests = await linesWith(activated.stderr, 'request', 3)
  t.same(requests.map((line) => line.pid), spawned, 'each log line carries the pid systemd-socket-activate spawned')
  t.same(requests.map((line) => line.reqId), ['req-1', 'req-1', 'req-1'], 'the requests run at build time left no request id behind')
})

t.test('config and environment are read at run time, not at build time', { skip: !snapshotBuilt && 'no startup snapshot was built' }, async (t) => {
  const activated = await perConnection(join(DIST, 'diceroll'), ['--log-level=debug'], { REMOTE_ADDR: '192.0.2.7' })
  t.teardown(activated.stop)
  await get({ port: activated.port }, '/roll')
  t.match(await linesWith(activated.stderr, 'request', 1), [{ remoteAddress: '192.0.2.7', mode: 'per-connection', level: 30 }])
  const quiet = await perConnection(join(DIST, 'diceroll'), ['--log-level=warn'])
  t.teardown(quiet.stop)
  t.equal((await get({ port: quiet.port }, '/roll')).status, 200)
  await new Promise((done) => setTimeout(done, 300))
  t.same(logLines(quiet.stderr()), [], '--log-level=warn: no request line')
})

t.test('without the snapshot or the code cache it still serves, and the debug log says why', async (t) => {
  // A copy of dist/ without the hard link the launcher checks the node binary against.
  const copy = mkdtempSync(join(tmpdir(), 'diceroll-dist-'))
  t.teardown(() => rmSync(copy, { recursive: true, force: true }))
  for (const file of ['diceroll', 'launch.cjs', 'diceroll.cjs', 'diceroll.cjs.cache']) copyFileSync(join(DIST, file), join(copy, file))
  const cases: Array<[string, () => void, string, RegExp]> = [
    ['no snapshot', () => {}, 'bundle+code-cache', /^startup snapshot not used: /],
    ['a cache from elsewhere', () => writeFileSync(join(copy, 'diceroll.cjs.cache'), 'not a code cache'), 'bundle', /code cache rejected/],
    ['no cache', () => rmSync(join(copy, 'diceroll.cjs.cache')), 'bundle', /no code cache/],
  ]
  for (const [name, breakIt, start, reason] of cases) {
    breakIt()
    const activated = await perConnection(join(copy, 'diceroll'), ['--log-level=debug'])
    const res = await get({ port: activated.port }, '/roll?dice=2d6')
    t.equal(res.status, 200, name)
    const [started] = await linesWith(activated.stderr, 'started', 1)
    t.equal(started?.start, start, name)
    t.match(started?.reason, reason, name)
    await activated.stop()
  }
})

t.test('usage errors from the bundle and from the snapshot name an example value', async (t) => {
  for (const launcher of [join(DIST, 'launch.cjs'), join(DIST, 'diceroll')]) {
    const run = spawn(launcher, ['--port'], { env: cleanEnv(), stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    run.stderr.on('data', (chunk: Buffer) => (stderr += chunk))
    const code = await new Promise((done) => run.once('close', done))
    t.equal(code, 2, launcher)
    t.match(stderr, /--port needs a value, e\.g\. --port=5000/, launcher)
  }
})

t.test('the bundle and the snapshot find the sd_notify addon and send READY=1', async (t) => {
  // Node has no unix datagram sockets: a few lines of Python play systemd's notify socket.
  const dir = mkdtempSync(join(tmpdir(), 'diceroll-notify-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const script = `import socket, subprocess, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1]); s.settimeout(10)
p = subprocess.Popen(sys.argv[2:], env={'PATH': '/usr/bin:/bin', 'NOTIFY_SOCKET': sys.argv[1]}, stderr=subprocess.DEVNULL)
try: print(s.recv(200).decode())
finally: p.terminate(); p.wait()`
  for (const launcher of [[join(DIST, 'diceroll')], [process.execPath, join(DIST, 'launch.cjs')]]) {
    const port = await freePort()
    const run = spawn('python3', ['-c', script, join(dir, `notify-${port}`), ...launcher, '--mode=standalone', `--port=${port}`], { stdio: ['ignore', 'pipe', 'inherit'] })
    let stdout = ''
    run.stdout.on('data', (chunk: Buffer) => (stdout += chunk))
    await new Promise((done) => run.once('close', done))
    t.match(stdout, /^READY=1\n/, launcher.join(' '))
  }
})

t.test('a long-lived process started by dist/diceroll counts the requests it serves (STATUS=, the stop line, what the fd store hand-over trusts)', async (t) => {
  const port = await freePort()
  const child = spawn(join(DIST, 'diceroll'), ['--mode=standalone', '--host=127.0.0.1', `--port=${port}`], { env: cleanEnv(), stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk))
  const exited = new Promise<number | null>((done) => child.once('close', (code) => done(code)))
  await waitFor(() => (stderr.includes('"msg":"listening on ') ? true : undefined), 'the listening line')
  const close = { connection: 'close' }
  t.same([(await get({ port }, '/roll', close)).status, (await get({ port }, '/healthz', close)).status], [200, 200])
  // The server closes each connection; give the second close time to reach it before the signal.
  await requestLines(() => stderr, 2)
  await new Promise((done) => setTimeout(done, 100))
  child.kill('SIGTERM')
  t.equal(await exited, 0)
  t.match(logLines(stderr).filter((line) => line.reason === 'SIGTERM'), [{ requests: 2, msg: 'SIGTERM: stopping, no open connection' }])
})

t.test('a request from the snapshot, in either model, compiles no builtin without its code cache: the build kept the cache of each one loaded at run time', { skip: !snapshotBuilt && 'no startup snapshot was built' }, async (t) => {
  const runtime = JSON.parse(withScripts('console.log(JSON.stringify((await import(scripts + \'prune-code-cache.mjs\')).RUNTIME_BUILTINS))', {})) as string[]
  for (const model of ['per-connection', 'listener'] as const) {
    // Node prints each builtin it compiles at run time, and whether the blob had its code cache.
    const activated = await perConnection(join(DIST, 'diceroll'), ['--log-level=debug'], { NODE_DEBUG_NATIVE: 'CODE_CACHE' }, model)
    t.same([(await get({ port: activated.port }, '/roll?dice=2d6')).status, (await get({ port: activated.port }, '/roll?dice=x')).status], [200, 400], model)
    const [started] = await linesWith(activated.stderr, 'started', 1)
    await activated.stop()
    // Node 20's listener starts from the bundle (the launcher's choice, docs/benchmarks.md): no blob there.
    if (started?.start !== 'snapshot') {
      t.equal(started?.start, 'bundle+code-cache', `${model}: from the bundle on this Node`)
      continue
    }
    const compiled = [...activated.stderr().matchAll(/^Compiling (\S+) (with|without) code cache/gm)]
    t.same(compiled.filter((match) => match[2] === 'without').map((match) => match[1]), [], `${model}: every builtin compiled at run time had its code cache`)
    t.ok(compiled.length > 0 && compiled.every((match) => runtime.includes(match[1]!)), `${model}: compiled ${compiled.map((match) => match[1]).join(' ')}`)
    t.match(activated.stderr(), new RegExp(`^snapshot contains (${runtime.map((_, i) => i + 1).join('|')}) code cache$`, 'm'), `${model}: the blob holds no more than those`)
  }
})
