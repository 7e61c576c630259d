// The life of a listener or standalone process once its sockets are served: idle exit (listener
// mode), graceful stop on SIGTERM/SIGINT, and what systemd is told (READY, STATUS, STOPPING,
// WATCHDOG). docs/lifecycle.md explains why the idle exit cannot lose a connection.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Server, Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { EXIT, type ExitCode } from './errors.js'
import type { FdStore } from './systemd/fd-store.js'
import type { Notifier } from './systemd/notify.js'

export interface LifecycleOptions {
  notifier: Notifier
  /** Exit 0 after this long with no open connection (listener mode); 0 = never. */
  idleTimeoutMs: number
  keepAliveTimeoutMs: number
  /** Bounds a graceful stop; connections still open then are cut and the exit code is 12. */
  stopTimeoutMs: number
  /** At most one STATUS= update per interval. */
  statusIntervalMs?: number
  /** systemd's fd store, when there is one: a stop hands idle connections to it instead of draining them. */
  fdStore?: FdStore | undefined
}

interface Connection {
  inFlight: number
  served: number
  /** socket.bytesRead when its last response closed: more means a next request has begun. */
  bytesReadWhenIdle: number
}

export class Lifecycle {
  /** Resolves with the exit code once the process may exit. */
  readonly done: Promise<ExitCode>
  private resolveDone!: (code: ExitCode) => void
  private readonly connections = new Map<Socket, Connection>()
  private readonly responses = new Set<ServerResponse>()
  private acceptors: readonly Server[] = []
  private requests = 0
  private handedOver = 0
  private stopping: string | undefined
  private finished = false
  private idleSince = 0
  private idleTimer: NodeJS.Timeout | undefined
  private stopTimer: NodeJS.Timeout | undefined
  private statusTimer: NodeJS.Timeout | undefined
  private watchdogTimer: NodeJS.Timeout | undefined

  /**
   * Starts tracking app.server's connections and requests. Call it before any acceptor listens:
   * a connection accepted before tracking starts would be invisible to the idle exit.
   */
  constructor(private readonly app: FastifyInstance, private readonly options: LifecycleOptions) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve))
    // Node reads keepAliveTimeout per response; it advertises floor(seconds) in Keep-Alive: and
    // closes about 1 s later, so clients that honour the hint close first (docs/lifecycle.md).
    app.server.keepAliveTimeout = options.keepAliveTimeoutMs
    app.server.on('connection', (socket: Socket) => this.onConnection(socket))
    // Before Fastify's own listener, so a response made while stopping gets Connection: close
    // even when Fastify answers synchronously.
    app.server.prependListener('request', (request: IncomingMessage, response: ServerResponse) => this.onRequest(request, response))
  }

  /** Every acceptor is serving: tell systemd, start the watchdog and, with no connection, the idle clock. */
  serving(acceptors: readonly Server[]): void {
    this.acceptors = acceptors
    if (this.stopping !== undefined) {
      // A signal came while the listeners were being set up: never say READY after STOPPING.
      for (const acceptor of acceptors) acceptor.close()
      return
    }
    if (this.connections.size === 0) this.becameIdle()
    const { notifier } = this.options
    notifier.send(`READY=1\nSTATUS=${this.status()}`)
    const interval = notifier.watchdogIntervalMs
    if (interval !== undefined) {
      notifier.send('WATCHDOG=1')
      // A timer is only run by a turning event loop: a wedged process stops pinging and systemd
      // restarts it, which is the point of the watchdog.
      this.watchdogTimer = setInterval(() => notifier.send('WATCHDOG=1'), interval).unref()
    }
  }

  /** SIGTERM/SIGINT: the first one drains gracefully, a second one cuts what is left. */
  signal(name: string): void {
    if (this.stopping === undefined) this.stop(name)
    else this.force(`${name} again`)
  }

  /** Stop accepting, serve what was accepted, then resolve done. */
  stop(reason: string): void {
    if (this.stopping !== undefined) return
    this.stopping = reason
    clearTimeout(this.idleTimer)
    // Closing our copy of a listener stops accepting at once. Connections the kernel has queued
    // stay queued on the socket systemd holds, for the next instance. Never unlink, never shutdown().
    for (const acceptor of this.acceptors) acceptor.close()
    for (const response of this.responses) {
      if (!response.headersSent) response.setHeader('connection', 'close')
    }
    let handedOver = 0
    for (const [socket, connection] of this.connections) handedOver += this.handOverIfIdle(socket, connection)
    this.options.notifier.send(`STOPPING=1\nSTATUS=${this.status()}`)
    if (this.connections.size === 0) {
      if (reason === 'idle') {
        this.app.log.info({ idleTimeoutMs: this.options.idleTimeoutMs, requests: this.requests }, 'idle: exiting; the socket stays with systemd, which starts us again on the next connection')
      } else {
        const left = handedOver === 0 ? 'no open connection' : `handed ${handedOver} idle connections to systemd's fd store`
        this.app.log.info({ reason, requests: this.requests, handedOver }, `${reason}: stopping, ${left}`)
      }
      this.finish(EXIT.OK)
      return
    }
    const stored = handedOver === 0 ? '' : `handed ${handedOver} idle connections to systemd's fd store, `
    this.app.log.info({ reason, connections: this.connections.size, handedOver }, `${reason}: stopping, ${stored}draining ${this.connections.size} connections`)
    this.stopTimer = setTimeout(() => this.force('stop timeout'), this.options.stopTimeoutMs)
  }

  /** Only while stopping with connections open: once the last one closes, finish() has run. */
  private force(why: string): void {
    if (this.finished) return
    const cut = this.connections.size
    this.app.log.warn({ connections: cut, inFlight: this.responses.size, stopTimeoutMs: this.options.stopTimeoutMs }, `${why}: cutting ${cut} connections`)
    for (const socket of this.connections.keys()) socket.destroy()
    this.finish(EXIT.FORCED_STOP)
  }

  private onConnection(socket: Socket): void {
    const connection: Connection = { inFlight: 0, served: 0, bytesReadWhenIdle: 0 }
    this.connections.set(socket, connection)
    clearTimeout(this.idleTimer)
    this.idleTimer = undefined
    socket.once('close', () => {
      this.connections.delete(socket)
      this.changed()
      if (this.connections.size === 0) this.becameIdle()
    })
    this.changed()
  }

  private onRequest(request: IncomingMessage, response: ServerResponse): void {
    // Every socket went through 'connection' before a request could be parsed on it.
    const connection = this.connections.get(request.socket) as Connection
    this.requests++
    this.responses.add(response)
    connection.inFlight++
    if (this.stopping !== undefined) response.setHeader('connection', 'close')
    response.once('close', () => {
      this.responses.delete(response)
      connection.inFlight--
      connection.served++
      connection.bytesReadWhenIdle = request.socket.bytesRead
      // Not one answered with Connection: close: node:http closes that one itself.
      if (this.stopping !== undefined && response.shouldKeepAlive) this.handOverIfIdle(request.socket, connection)
      this.changed()
    })
  }

  /**
   * While stopping, a connection of which we hold no byte (between keep-alive requests, or not
   * begun yet) goes to systemd's fd store when there is one, for the next instance. Our copy is
   * closed without shutdown() or end(): PID 1 holds a dup, so the client's socket stays open and
   * what it sends meanwhile waits in the kernel. A connection with bytes read here is served here,
   * with Connection: close. Without a store every connection drains: an idle one stays open until
   * the keep-alive timeout it was promised (the server closes it then), and a request that comes
   * meanwhile gets Connection: close. Closing idle ones at once would cross a request already on
   * its way, which the client loses (docs/lifecycle.md). Returns 1 when handed over.
   */
  private handOverIfIdle(socket: Socket, connection: Connection): number {
    const { fdStore } = this.options
    // An idle exit has no connection to hand over: it happens only when none is open.
    if (fdStore === undefined || this.handedOver >= fdStore.max) return 0
    if (connection.inFlight > 0 || socket.bytesRead !== connection.bytesReadWhenIdle || socket.writableEnded) return 0
    if (!fdStore.store(socket)) return 0
    this.handedOver++
    this.connections.delete(socket)
    socket.destroy()
    return 1
  }

  private becameIdle(): void {
    if (this.stopping !== undefined) {
      this.finish(EXIT.OK)
      return
    }
    const { idleTimeoutMs } = this.options
    if (idleTimeoutMs <= 0 || this.idleTimer !== undefined) return
    this.idleSince = Date.now()
    // Fires only while there is no connection: any accepted connection clears it first, in the
    // same turn of the event loop that accepted it.
    this.idleTimer = setTimeout(() => this.stop('idle'), idleTimeoutMs)
  }

  private finish(code: ExitCode): void {
    if (this.finished) return
    this.finished = true
    for (const timer of [this.idleTimer, this.stopTimer, this.statusTimer]) clearTimeout(timer)
    clearInterval(this.watchdogTimer)
    this.app.close().then(
      () => this.resolveDone(code),
      (error: unknown) => {
        this.app.log.error({ err: error }, 'closing the app failed')
        this.resolveDone(code)
      }
    )
  }

  /** A human-readable line for `systemctl status`. */
  status(): string {
    const connections = `${this.connections.size} ${this.connections.size === 1 ? 'connection' : 'connections'}`
    if (this.stopping !== undefined) return `stopping (${this.stopping}): ${connections} to finish, ${this.requests} requests served`
    const line = `serving ${connections}, ${this.requests} requests`
    if (this.connections.size > 0 || this.options.idleTimeoutMs <= 0) return line
    const left = Math.max(0, this.options.idleTimeoutMs - (Date.now() - this.idleSince))
    return `${line}; idle, exiting in ${Math.ceil(left / 1000)} s unless a connection arrives`
  }

  private changed(): void {
    const { notifier, statusIntervalMs = 1000 } = this.options
    if (!notifier.enabled || this.statusTimer !== undefined || this.finished) return
    this.statusTimer = setTimeout(() => {
      this.statusTimer = undefined
      if (!this.finished) notifier.send(`STATUS=${this.status()}`)
    }, statusIntervalMs).unref()
  }
}
