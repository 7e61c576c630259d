// Starts programs the way systemd would: under systemd-socket-activate, on a free 127.0.0.1
// port, with only the environment systemd passes (never NODE_EXTRA_CA_CERTS and friends).
import { spawn } from 'node:child_process'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'

/** What a systemd service sees, plus `extra`; nothing from our own environment leaks in. */
export function cleanEnv(extra = {}) {
  return { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/root', ...extra }
}

export async function freePort() {
  const server = createServer()
  await new Promise((done) => server.listen({ host: '127.0.0.1', port: 0 }, done))
  const { port } = server.address()
  await new Promise((done) => server.close(done))
  return port
}

/**
 * systemd-socket-activate -l 127.0.0.1:PORT [--accept --inetd] -- argv. Resolves once the
 * socket accepts connections (the program itself starts only on the first connection).
 * `accept`: one process per connection on stdin (Accept=yes); otherwise the listener is fd 3.
 */
export async function activate(argv, { accept = false, env = {}, log }) {
  const port = await freePort()
  const args = ['-l', `127.0.0.1:${port}`, ...(accept ? ['--accept', '--inetd'] : [])]
  for (const [name, value] of Object.entries(env)) args.push('-E', `${name}=${value}`)
  return serve(['systemd-socket-activate', ...args, '--', ...argv], port, log)
}

/** The program listening on a free port itself (`--port=`), as in standalone mode. */
export async function standalone(argv, log) {
  const port = await freePort()
  return serve([...argv, `--port=${port}`], port, log)
}

/** Runs argv, which will listen on `port`, with a clean environment; resolves once it listens. */
async function serve(argv, port, log) {
  // stderr (the service's log lines) goes to a file, as it would go to the journal: a pipe
  // read by this process would make the benchmark pay for it.
  const logFd = openSync(log, 'a')
  const child = spawn(argv[0], argv.slice(1), { env: cleanEnv(), stdio: ['ignore', 'ignore', logFd] })
  closeSync(logFd)
  const exited = new Promise((done) => child.once('exit', done))
  await waitListening(port, child)
  return {
    port,
    pid: child.pid,
    log: () => readFileSync(log, 'utf8').slice(-2000),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
      await exited
      clearTimeout(timer)
    },
  }
}

/** systemd-socket-activate prints "Listening on" before it listens; poll /proc instead. */
export async function waitListening(port, child) {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`
  const { readFile } = await import('node:fs/promises')
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`${child.spawnfile} exited with ${child.exitCode}`)
    const table = await readFile('/proc/net/tcp', 'latin1')
    if (table.split('\n').some((line) => line.includes(`0100007F${hex} `) && line.includes(' 0A '))) return
    await new Promise((done) => setTimeout(done, 10))
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after 2 s`)
}

