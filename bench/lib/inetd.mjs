// One per-connection instance run by hand under /usr/bin/time, the way systemd-socket-activate
// --accept would run it (the accepted connection as stdin, or as fd 3), to read its peak RSS.
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cleanEnv } from './activate.mjs'
import { requestOnce } from './client.mjs'

export const TIME = '/usr/bin/time'

/** Peak RSS in MB of one instance serving one request (on stdin, or `inetd: false` as fd 3), with `env` besides a service's. */
export async function peakRssMb(argv, { inetd = true, env = {} } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'diceroll-bench-'))
  const server = createServer({ pauseOnConnect: true })
  await new Promise((done) => server.listen({ host: '127.0.0.1', port: 0 }, done))
  try {
    const exited = new Promise((resolve, reject) => {
      server.once('connection', (socket) => {
        const child = spawn(TIME, ['-f', '%M', '-o', join(dir, 'time'), ...argv], { env: cleanEnv(env), stdio: inetd ? [socket, 'ignore', 'ignore'] : ['ignore', 'ignore', 'ignore', socket] })
        socket.destroy() // the child has its own copy of the connection
        child.once('error', reject)
        child.once('exit', resolve)
      })
    })
    const response = await requestOnce(server.address().port)
    await exited
    if (response.status !== 200) throw new Error(`${argv.join(' ')} answered ${response.status}`)
    return Number(readFileSync(join(dir, 'time'), 'utf8').trim().split('\n').at(-1)) / 1024
  } finally {
    server.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Peak RSS in MB of a command that needs no connection (node -e 0). */
export async function peakRssOfCommand(argv) {
  const dir = mkdtempSync(join(tmpdir(), 'diceroll-bench-'))
  try {
    await new Promise((resolve, reject) => {
      const child = spawn(TIME, ['-f', '%M', '-o', join(dir, 'time'), ...argv], { env: cleanEnv(), stdio: 'ignore' })
      child.once('error', reject)
      child.once('exit', resolve)
    })
    return Number(readFileSync(join(dir, 'time'), 'utf8').trim().split('\n').at(-1)) / 1024
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
