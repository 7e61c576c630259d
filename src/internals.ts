// Everything diceroll relies on that Node, Fastify or pino do not document, in one place. Each
// has a test in test/internals.ts that names it when a new Node, Fastify or pino changes it: run
// `npm run test:node -- <line>` (scripts/node-line.mjs) before supporting a new line, and the
// suite after any Fastify or pino upgrade.
// The default import of node:http, not named ones: in the snapshot's bundle node:http is a lazy
// stand-in (scripts/esbuild-plugins.mjs), and named imports would load it at build time.
import http, { type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http'
import type { Server as NetServer, Socket } from 'node:net'
import type { FastifyServerOptions } from 'fastify'
import { symbols } from 'pino'

/**
 * node:http's `httpAllowHalfOpen` (stable since Node 0.x, never documented): without it an
 * http.Server fed sockets it did not accept aborts the pending request of a client that
 * half-closes (shutdown(SHUT_WR)) after sending it.
 */
export function allowHalfOpenRequests(server: Server): void {
  ;(server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true
}

/**
 * node:http starts tracking connections (request and headers timeouts, idle detection for
 * closeIdleConnections) on its own 'listening' event, which a server that never listens itself
 * does not see.
 */
export function trackConnectionsWithoutListening(server: Server): void {
  server.emit('listening')
}

/** A socket node:http serves, with the fields it sets on it. */
export interface HttpSocket extends Socket {
  /** The parser reading it; `incoming` is the last request whose head it parsed. */
  parser?: { unconsume?: () => void; incoming?: IncomingMessage | null } | null
  /** The response node:http is writing on this socket, if any. */
  _httpMessage?: (ServerResponse & { _last?: boolean }) | null
}

/**
 * node:http reads a socket it serves from C++ (parser.consume); `parser.unconsume()` gives the
 * reads back to the stream, where a lingering close can drop them.
 */
export function unconsumeParser(socket: Socket): void {
  ;(socket as HttpSocket).parser?.unconsume?.()
}

/**
 * The last request node:http began to parse on `socket` (`parser.incoming`, set as each request's
 * head is parsed and kept until the parser is freed): when node:http closes the connection after
 * a response, the request that response answered, unless the client sent another after it.
 */
export function lastRequest(socket: Socket): IncomingMessage | undefined {
  return (socket as HttpSocket).parser?.incoming ?? undefined
}

/**
 * Reads a connection's peer address as it arrives, so that its log lines still have it once the
 * socket is closed. Node documents that `remoteAddress` may be undefined after a destroy; in fact
 * net.Socket keeps the first answer it got (`_getpeername` caches it in `_peername`, Node 20 to
 * 26), so one read is all it takes: a WeakMap of our own cost every short connection ~1.7k
 * instructions.
 */
export function keepPeerAddress(socket: Socket): void {
  void socket.remoteAddress
}

/** The fd behind a net.Server or net.Socket (`_handle.fd`); tests hand real fds to the probes. */
export function socketFd(owner: NetServer | Socket): number {
  return (owner as unknown as { _handle: { fd: number } })._handle.fd
}

interface PinoInternals {
  [symbols.lsCacheSym]: Record<number, string>
  [symbols.timeSym]: () => string
  [symbols.chindingsSym]: string
  [symbols.endSym]: string
  [symbols.streamSym]: { write(line: string): void } | undefined
}

/** True for a pino logger, whose line parts writePinoLine reads (pino.symbols). */
export function isPinoLogger(logger: unknown): boolean {
  return (logger as Partial<PinoInternals> | undefined)?.[symbols.streamSym] !== undefined
}

/**
 * Writes one line to a pino logger's stream as pino would: the level's cached prefix, the time,
 * the logger's bindings, then `fields` (which start with a comma and end with the message), and
 * pino's line end. pino documents that `pino.symbols` exist, not what they hold.
 */
export function writePinoLine(logger: unknown, level: number, fields: string): void {
  const pino = logger as PinoInternals
  pino[symbols.streamSym]!.write(`${pino[symbols.lsCacheSym][level]}${pino[symbols.timeSym]()}${pino[symbols.chindingsSym]}${fields}${pino[symbols.endSym]}`)
}

/** An http.Server's request handler, such as the one Fastify makes. */
export type Handler = (request: IncomingMessage, response: ServerResponse) => void

/**
 * The HTTP/1.1 server Fastify would make for `options` (the steps of getServerInstance() in
 * fastify/lib/server.js, which is not exported), for the snapshot's app, whose server is made at
 * run time around Fastify's handler.
 */
export function fastifyHttpServer(options: FastifyServerOptions & { http?: ServerOptions }, handler: Handler): Server {
  const server = http.createServer(options.http ?? {}, handler)
  if (options.keepAliveTimeout !== undefined) server.keepAliveTimeout = options.keepAliveTimeout
  if (options.requestTimeout !== undefined) server.requestTimeout = options.requestTimeout
  if (options.connectionTimeout !== undefined) server.setTimeout(options.connectionTimeout)
  if (options.maxRequestsPerSocket !== undefined && options.maxRequestsPerSocket > 0) server.maxRequestsPerSocket = options.maxRequestsPerSocket
  return server
}
