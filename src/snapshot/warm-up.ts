// Requests run through the prebuilt app while the snapshot is built, so that the code a request
// takes (routing, hooks, validation, our handler, serialization, the request line in pino) is
// compiled in the blob instead of at every start. node:http cannot load at
// build time, so Fastify's own request handler gets plain stand-ins for the request and response.
// Anything a request leaves behind would be frozen into every instance: the rolls come from a
// fixed stand-in, never the real source (whose pool of random bytes every instance would share),
// and the request-id counter is wound back to where Fastify starts it.
import { EventEmitter } from 'node:events'
import { Duplex } from 'node:stream'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { pino } from 'pino'
import { listenFds } from '../systemd/activation.js'
import type { AppOptions } from '../app-options.js'
import { parseConfig } from '../config.js'
import { hasTcp6, isListener } from '../systemd/fd-kind.js'
import type { Handler } from '../internals.js'
import { planMode } from '../systemd/mode.js'
import { WARM_UP_PATHS } from '../warm-up-paths.js'

/** Fastify's default request ids (req-1, req-2, ... in base 36), with a counter we can wind back. */
export function requestIds(): { next: () => string; rewind: () => void } {
  let last = 0
  return {
    next: () => `req-${(last = (last + 1) & 0x7fffffff).toString(36)}`,
    rewind: () => void (last = 0),
  }
}

export async function warmUp(handler: Handler, late: AppOptions, ids: { rewind: () => void }): Promise<void> {
  // What main()'s createLogger makes, writing nowhere: pino compiles its write path.
  const logger = pino({ level: 'info', base: { pid: 0, mode: 'per-connection' } }, { write() {} })
  late.logger = logger
  late.randomInt = (min) => min
  try {
    for (const path of WARM_UP_PATHS) {
      const { statusCode, body } = await fakeRequest(handler, path)
      if (statusCode !== 200) throw new Error(`warm-up request ${path} answered ${statusCode}: ${body}`)
    }
  } finally {
    delete late.logger
    delete late.randomInt
    ids.rewind()
  }
}

/**
 * main()'s steps before the app (run.ts), on made-up input (and the host's TCP listeners, read and
 * dropped), so that their code too is compiled in the blob. They keep nothing.
 */
export function warmStartPath(): void {
  const activation = listenFds({ LISTEN_PID: '1', LISTEN_FDS: '1', LISTEN_FDNAMES: 'web' }, 1, false)
  for (const argv of [['--mode=listener', '--idle-timeout=60'], ['--mode=per-connection', '--log-level=warn']]) {
    const config = parseConfig(argv, {})
    planMode(config.mode, activation, () => ({ kind: config.mode === 'listener' ? 'listening' : 'socket', what: 'made up' }))
  }
  hasTcp6()
  for (const table of ['tcp', 'tcp6']) isListener(`/proc/net/${table}`, 'none')
}

/**
 * The Node code every connection runs that the warm-up requests do not: a net.Socket is a Duplex
 * (read, push, write, cork, end, destroy), and a connection arms timers and an AbortSignal. The
 * modules are in the snapshot, but a function is compiled on its first call, so without this
 * every instance compiled some 45 of their functions again (`--log-function-events`: 243 → 198
 * functions compiled per start). On Node 20, per-connection p50 −0.8 ms and cold listener
 * −1.0 ms; nothing on Node 26, whose starts compile none of them (docs/benchmarks.md, levers).
 * Twice: a second stream and timer take the paths of state that already exists. Nothing is
 * left: no handle, timer or listener.
 */
export async function warmNodeInternals(): Promise<void> {
  const nothing = (): void => {}
  for (let round = 0; round < 2; round++) {
    const stream = new Duplex({
      allowHalfOpen: true,
      read: nothing,
      write: (_chunk, _encoding, done) => done(),
      writev: (_chunks, done) => done(),
      final: (done) => done(),
    })
    const closed = new Promise((resolve) => stream.once('close', resolve))
    stream.on('data', nothing)
    stream.on('end', nothing)
    stream.push(Buffer.from('GET /roll HTTP/1.1\r\nHost: localhost\r\n\r\n'))
    stream.pause()
    stream.resume()
    stream.write('HTTP/1.1 200 OK\r\n\r\n')
    stream.cork()
    stream.write(Buffer.from('{}'))
    stream.write('\r\n')
    stream.uncork()
    stream.push(null)
    stream.end()
    await new Promise((resolve) => setImmediate(resolve))
    stream.destroy()
    await closed
    const controller = new AbortController()
    controller.signal.addEventListener('abort', nothing, { once: true })
    controller.abort()
    const timer = setTimeout(nothing, 1000)
    timer.refresh()
    clearTimeout(timer)
  }
}

/** One GET through Fastify's handler, with as much of IncomingMessage/ServerResponse as it uses. */
function fakeRequest(handler: Handler, url: string): Promise<{ statusCode: number; body: string }> {
  return new Promise((resolve) => {
    const socket = Object.assign(new EventEmitter(), { remoteAddress: '127.0.0.1', remotePort: 1, encrypted: false })
    const request = Object.assign(new EventEmitter(), { method: 'GET', url, headers: { host: 'localhost' }, httpVersion: '1.1', socket, aborted: false })
    const headers: Record<string, unknown> = {}
    let body = ''
    const response = Object.assign(new EventEmitter(), {
      statusCode: 200,
      headersSent: false,
      writableEnded: false,
      destroyed: false,
      socket,
      setHeader: (name: string, value: unknown) => void (headers[name] = value),
      getHeader: (name: string) => headers[name],
      getHeaders: () => headers,
      hasHeader: (name: string) => name in headers,
      removeHeader: (name: string) => void delete headers[name],
      writeHead(statusCode: number) {
        response.statusCode = statusCode
        response.headersSent = true
        return response
      },
      write(chunk: unknown) {
        body += String(chunk)
        return true
      },
      end(chunk: unknown) {
        if (chunk !== null && chunk !== undefined) body += String(chunk)
        response.headersSent = true
        response.writableEnded = true
        // 'finish' is what makes Fastify log the request line.
        setImmediate(() => {
          response.emit('finish')
          resolve({ statusCode: response.statusCode, body })
        })
        return response
      },
    })
    handler(request as unknown as IncomingMessage, response as unknown as ServerResponse)
  })
}
