// Starts programs the way systemd would: under systemd-socket-activate, on a free 127.0.0.1
// port, with only the environment systemd passes (never NODE_EXTRA_CA_CERTS and friends).
import { execFileSync, spawn } from 'node:child_process'
import { closeSync, fstatSync, openSync, readFileSync, rmSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
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
 * systemd-socket-activate -l 127.0.0.1:PORT [--accept [--inetd]] -- argv. Resolves once the
 * socket accepts connections (the program itself starts only on the first connection).
 * `accept`: one process per connection, on stdin (`inetd`, as StandardInput=socket) or as fd 3
 * (the unit without StandardInput=socket, so stdout stays the log); otherwise the listener is
 * fd 3. `journal`: JOURNAL_STREAM names the log pipe, as systemd sets it when stderr is the
 * journal's stream, so a program that checks it with fstat(2) believes it.
 */
export async function activate(argv, { accept = false, inetd = true, env = {}, journal = false, log }) {
  const port = await freePort()
  const args = ['-l', `127.0.0.1:${port}`, ...(accept ? ['--accept', ...(inetd ? ['--inetd'] : [])] : [])]
  const command = (logStat) => {
    const all = { ...env, ...(journal ? { JOURNAL_STREAM: `${logStat.dev}:${logStat.ino}` } : {}) }
    return ['systemd-socket-activate', ...args, ...Object.entries(all).flatMap(([name, value]) => ['-E', `${name}=${value}`]), '--', ...argv]
  }
  return serve(command, port, log)
}

/** The program listening on a free port itself (`--port=`), as in standalone mode. */
export async function standalone(argv, log) {
  const port = await freePort()
  return serve(() => [...argv, `--port=${port}`], port, log)
}

/**
 * Runs the command, which will listen on `port`, with a clean environment; resolves once it
 * listens. stdout and stderr (the service's log lines) go into a pipe that another process (cat)
 * reads into `log`, as journald reads a service's stream: a sink that costs a reader, as in
 * production, without the benchmark process paying for it.
 */
async function serve(command, port, log) {
  const fifo = `${log}.fifo`
  rmSync(fifo, { force: true })
  execFileSync('mkfifo', [fifo])
  const logFd = openSync(log, 'a')
  const reader = spawn('cat', [fifo], { stdio: ['ignore', logFd, 'ignore'] })
  closeSync(logFd)
  const readerDone = new Promise((done) => reader.once('exit', done))
  const sink = openSync(fifo, 'w') // returns once cat has the other end open
  rmSync(fifo)
  const argv = command(fstatSync(sink))
  const child = spawn(argv[0], argv.slice(1), { env: cleanEnv(), stdio: ['ignore', sink, sink] })
  closeSync(sink)
  const exited = new Promise((done) => child.once('exit', done))
  await waitListening(port, child)
  return {
    port,
    pid: child.pid,
    log: () => readFileSync(log, 'utf8').slice(-2000),
    // graceMs: how long a program gets to exit on SIGTERM (one under valgrind writes its counts then).
    async stop(graceMs = 3000) {
      // A program started by this one (the app behind systemd-socket-proxyd) goes first.
      for (const pid of await liveChildren(child.pid)) process.kill(pid, 'SIGTERM')
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
      await exited
      clearTimeout(timer)
      await readerDone
    },
  }
}

/** The pids of pid's children that are still running. */
export async function liveChildren(pid) {
  const list = await readFile(`/proc/${pid}/task/${pid}/children`, 'latin1').catch(() => '')
  return list.trim() === '' ? [] : list.trim().split(' ').map(Number)
}

/** systemd-socket-activate prints "Listening on" before it listens; poll /proc instead. */
export async function waitListening(port, child) {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`${child.spawnfile} exited with ${child.exitCode}`)
    const table = await readFile('/proc/net/tcp', 'latin1')
    if (table.split('\n').some((line) => line.includes(`0100007F${hex} `) && line.includes(' 0A '))) return
    await new Promise((done) => setTimeout(done, 10))
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after 2 s`)
}
