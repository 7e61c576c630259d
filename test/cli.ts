// The command line and the activation environment as a user meets them: one clear line on
// stderr, a documented exit code (docs/activation.md), and nothing half-started.
import { closeSync, openSync } from 'node:fs'
import { join } from 'node:path'
import { createServer } from 'node:net'
import t from 'tap'
import { spawn } from 'node:child_process'
import { cleanEnv, freePort, get, MAIN, requestLines, runMain, spawnActivated, waitExit, waitFor } from './fixtures/run.js'

t.test('--help prints the usage on stdout and exits 0', async (t) => {
  const { code, stdout, stderr } = await runMain(['--help'])
  t.equal(code, 0)
  t.match(stdout, /^Usage: diceroll \[--mode=auto\|standalone\|listener\|per-connection\]/)
  t.equal(stderr, '')
})

t.test('a bad flag is one line on stderr and exit code 2', async (t) => {
  const { code, stdout, stderr } = await runMain(['--port=99999'])
  t.equal(code, 2)
  t.equal(stdout, '')
  t.equal(stderr, 'diceroll: --port=99999 is not a port: give a whole number from 0 to 65535 (0 picks a free port); run diceroll --help for the flags [DICEROLL_ERR_USAGE]\n')
})

const activationCases: [string, string[], Record<string, string>, string][] = [
  ['LISTEN_FDS=abc', [], { LISTEN_PID: '$$', LISTEN_FDS: 'abc' }, 'LISTEN_FDS=abc is not a number of file descriptors: it must be set by systemd (or systemd-socket-activate), not by hand'],
  ['a count that does not match LISTEN_FDNAMES', [], { LISTEN_PID: '$$', LISTEN_FDS: '1', LISTEN_FDNAMES: 'a:b' }, 'LISTEN_FDNAMES="a:b" has 2 names but LISTEN_FDS=1: there must be one name per fd'],
  ['LISTEN_PID of another process (a wrapper such as npm)', ['--mode=listener'], { LISTEN_PID: '1', LISTEN_FDS: '1' }, '--mode=listener needs listening sockets from systemd, but LISTEN_PID=1 is not our pid OURPID: is the service started through a wrapper such as npm or a shell? Exec node directly in ExecStart='],
  ['LISTEN_PID of another process in auto mode', [], { LISTEN_PID: '1', LISTEN_FDS: '1' }, 'socket activation variables are set, but LISTEN_PID=1 is not our pid OURPID: is the service started through a wrapper such as npm or a shell? Exec node directly in ExecStart=; to run without systemd, unset LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES or pass --mode=standalone'],
  ['LISTEN_FDS counts an fd that was not passed', ['--mode=listener'], { LISTEN_PID: '$$', LISTEN_FDS: '1' }, 'fd 3 is not a socket but an anonymous kernel object (probably Node\'s own, meaning nothing was passed there), not a listening socket: systemd passes sockets only; check what starts the service'],
]

for (const [title, args, env, message] of activationCases) {
  t.test(`bad activation: ${title} → exit code 6`, async (t) => {
    // The shell expands $$ to its own pid, which exec hands on to node: LISTEN_PID is then ours.
    const assignments = Object.entries(env).map(([name, value]) => `${name}=${value}`).join(' ')
    const child = spawn('sh', ['-c', `${assignments} exec node "$0" "$@"`, MAIN, ...args], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
    const { code, stdout, stderr } = await waitExit(child)
    t.equal(code, 6)
    t.equal(stdout, '')
    t.equal(stderr, `diceroll: ${message.replace('OURPID', String(child.pid))} [DICEROLL_ERR_ACTIVATION]\n`)
  })
}

t.test('bad activation: fd 3 is a regular file → exit code 6', async (t) => {
  const file = openSync(import.meta.filename, 'r')
  t.teardown(() => closeSync(file))
  const { code, stderr } = await waitExit(spawnActivated(['--mode=listener'], { LISTEN_FDS: '1' }, ['ignore', 'pipe', 'pipe', file]))
  t.equal(code, 6)
  t.equal(stderr, 'diceroll: fd 3 is a regular file, not a listening socket: systemd passes sockets only; check what starts the service [DICEROLL_ERR_ACTIVATION]\n')
})

t.test('per-connection without a connection → exit code 6', async (t) => {
  const { code, stderr } = await runMain(['--mode=per-connection'])
  t.equal(code, 6)
  t.equal(stderr, 'diceroll: --mode=per-connection needs the connection on stdin (StandardInput=socket) or as fd 3 (LISTEN_FDS=1), but stdin is a character device (a terminal or /dev/null) [DICEROLL_ERR_ACTIVATION]\n')
})

t.test('standalone serves on --host/--port and stops on SIGTERM with exit code 0', async (t) => {
  const port = await freePort()
  const child = spawn(process.execPath, [MAIN, `--port=${port}`], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = waitExit(child)
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk))
  await waitFor(() => (stderr.includes('"msg":"listening on') ? true : undefined), 'the listening line')
  t.match(stderr, `"msg":"listening on http://127.0.0.1:${port}"`)
  const res = await get({ port }, '/roll?dice=1d2')
  t.equal(res.status, 200)
  t.match(await requestLines(() => stderr, 1), [{ mode: 'standalone', url: '/roll?dice=1d2', statusCode: 200 }])
  child.kill('SIGTERM')
  const { code, stdout } = await exited
  t.equal(code, 0)
  t.equal(stdout, '')
})

t.test('standalone on a port in use → exit code 10 and how to fix it', async (t) => {
  const blocker = createServer()
  await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', done))
  t.teardown(() => blocker.close())
  const port = (blocker.address() as { port: number }).port
  const { code, stderr } = await runMain([`--port=${port}`, '--mode=standalone'])
  t.equal(code, 10)
  t.equal(stderr, `diceroll: cannot listen on 127.0.0.1:${port}: address already in use: stop the other process or choose another --port [DICEROLL_ERR_LISTEN]\n`)
})

const passSocket = (kind: string, args: string[]) =>
  waitExit(spawn('python3', [join(import.meta.dirname, 'fixtures/pass-socket.py'), kind, MAIN, ...args], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] }))

t.test('bad activation: sockets that do not carry HTTP → exit code 6 with what they are', async (t) => {
  const dgram = await passSocket('unix-dgram', ['--mode=listener'])
  t.same([dgram.code, dgram.stderr], [6, 'diceroll: fd 3 is a unix datagram socket, not a listening socket: diceroll speaks HTTP over stream sockets, use ListenStream= in the .socket unit [DICEROLL_ERR_ACTIVATION]\n'])
  const netlinkListener = await passSocket('netlink', ['--mode=listener'])
  t.same([netlinkListener.code, netlinkListener.stderr], [6, 'diceroll: cannot listen on fd 3 (name "unknown"): listen EINVAL: invalid argument; is it a listening stream socket? [DICEROLL_ERR_ACTIVATION]\n'])
  const netlinkConnection = await passSocket('netlink', ['--mode=per-connection'])
  t.same([netlinkConnection.code, netlinkConnection.stderr], [6, 'diceroll: cannot use fd 3 as the connection: Unsupported fd type: UNKNOWN; systemd passes a TCP or unix stream connection with Accept=yes [DICEROLL_ERR_ACTIVATION]\n'])
})

t.test('standalone on IPv6 shows the address in brackets', async (t) => {
  const port = await freePort('::1')
  const child = spawn(process.execPath, [MAIN, '--host=::1', `--port=${port}`], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = waitExit(child)
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk))
  await waitFor(() => (stderr.includes('"msg":"listening on') ? true : undefined), 'the listening line')
  t.match(stderr, `"msg":"listening on http://[::1]:${port}"`)
  t.equal((await get({ host: '::1', port }, '/healthz')).status, 200)
  child.kill('SIGINT')
  t.equal((await exited).code, 0)
})
