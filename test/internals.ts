// src/internals.ts: each undocumented behaviour of Node, Fastify or pino that diceroll relies on,
// checked against the real thing, so an upgrade that changes one fails here under its own name.
import { readFileSync, readlinkSync } from 'node:fs'
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { fastify, type FastifyServerOptions } from 'fastify'
import { pino } from 'pino'
import t from 'tap'
import { allowHalfOpenRequests, fastifyHttpServer, isPinoLogger, keepPeerAddress, lastRequest, socketFd, trackConnectionsWithoutListening, unconsumeParser, writePinoLine } from '../src/internals.js'

/** An http.Server that never listens, fed by a net.Server the way src/http/accept.ts does. */
async function fedServer(t: { teardown(fn: () => void): void }, handler: (request: IncomingMessage, response: ServerResponse) => void, prepare: (server: http.Server) => void): Promise<number> {
  const server = http.createServer(handler)
  prepare(server)
  const acceptor = createServer({ allowHalfOpen: true }, (socket) => server.emit('connection', socket))
  await new Promise<void>((done) => acceptor.listen(0, '127.0.0.1', done))
  t.teardown(() => {
    server.closeAllConnections()
    acceptor.close()
  })
  return (acceptor.address() as { port: number }).port
}

/** Sends `request`, half-closes if asked, and collects what comes back until the server closes or `untilMs`. */
function talk(port: number, request: string, { halfClose = false, untilMs = 20_000 } = {}): Promise<string> {
  return new Promise((done) => {
    let data = ''
    const socket: Socket = connect(port, '127.0.0.1', () => (halfClose ? socket.end(request) : socket.write(request)))
    const timer = setTimeout(() => socket.destroy(), untilMs)
    socket.on('data', (chunk) => {
      data += chunk
    })
    socket.on('error', () => {})
    socket.on('close', () => {
      clearTimeout(timer)
      done(data)
    })
  })
}

const GET = 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'
const ok = (_request: IncomingMessage, response: ServerResponse): void => {
  response.end('ok')
}

t.test("node:http's httpAllowHalfOpen: a client that half-closes after its request still gets the answer", async (t) => {
  // A deferred answer, as any real handler's: it is written after the client's FIN has arrived.
  const later = (_request: IncomingMessage, response: ServerResponse): void => void setTimeout(() => response.end('ok'), 50)
  const without = await fedServer(t, later, () => {})
  t.equal(await talk(without, GET, { halfClose: true }), '', 'without httpAllowHalfOpen node:http drops the request (else the internal is no longer needed)')
  const withIt = await fedServer(t, later, allowHalfOpenRequests)
  t.match(await talk(withIt, GET, { halfClose: true }), /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nok$/, 'node:http httpAllowHalfOpen = true: answered')
})

t.test("node:http's 'listening': only then does a server that never listened track its connections", async (t) => {
  // One answered keep-alive request, then closeIdleConnections(): node:http destroys the (now
  // idle) connection at once if it tracks it, and leaves it alone if it does not.
  const keepAlive = (port: number, server: { closeIdleConnections(): void }, served: () => Socket | undefined): Promise<string> =>
    new Promise((done) => {
      let data = ''
      const socket = connect(port, '127.0.0.1', () => socket.write(GET))
      socket.on('data', (chunk) => {
        data += chunk
        if (!data.endsWith('ok')) return
        server.closeIdleConnections()
        done(served()?.destroyed ? 'closed by the server' : 'still open')
        socket.destroy()
      })
    })
  let serverSide: Socket | undefined
  const remember = (request: IncomingMessage, response: ServerResponse): void => {
    serverSide = request.socket
    ok(request, response)
  }
  let untracked: http.Server | undefined
  const withoutPort = await fedServer(t, remember, (server) => (untracked = server))
  t.equal(await keepAlive(withoutPort, untracked!, () => serverSide), 'still open', "without 'listening' node:http does not track connections (else the internal is no longer needed)")
  let tracked: http.Server | undefined
  const withPort = await fedServer(t, remember, (server) => {
    tracked = server
    trackConnectionsWithoutListening(server)
  })
  t.equal(await keepAlive(withPort, tracked!, () => serverSide), 'closed by the server', "node:http emit('listening'): idle connections are tracked and closed")
})

t.test("node:http's parser.unconsume(): the reads go back to the socket stream", async (t) => {
  let seen = ''
  const port = await fedServer(t, (request, response) => {
    const socket = request.socket
    t.type((socket as Socket & { parser?: { unconsume?: unknown } }).parser?.unconsume, 'function', 'node:http socket.parser.unconsume is a function')
    unconsumeParser(socket)
    socket.removeAllListeners('data')
    socket.on('data', (chunk) => {
      seen += chunk
      if (seen === 'after') socket.destroy()
    })
    response.end('ok')
  }, () => {})
  const data = await new Promise<string>((done) => {
    let answer = ''
    const socket = connect(port, '127.0.0.1', () => socket.write(GET))
    socket.on('data', (chunk) => {
      answer += chunk
      if (answer.endsWith('ok')) socket.write('after')
    })
    socket.on('close', () => done(answer))
  })
  t.match(data, /^HTTP\/1\.1 200 OK\r\n[^]*ok$/)
  t.equal(seen, 'after', 'node:http parser.unconsume(): the bytes after the request reach our data listener, not the parser')
})

t.test("node:http's parser.incoming: the request the closing response answered, kept after it completes", async (t) => {
  const seen: string[] = []
  const port = await fedServer(t, (request, response) => {
    const socket = request.socket
    // As node:http closes after the response: what lingerOnClose reads then.
    socket.destroySoon = () => {
      seen.push(`close after ${request.url}: last ${lastRequest(socket)?.url}, complete ${lastRequest(socket)?.complete}`)
      socket.destroy()
    }
    seen.push(`in ${request.url}`)
    response.end('ok')
  }, () => {})
  await talk(port, 'GET /one HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
  // Pipelined: the close comes after the second request of the connection.
  await talk(port, 'GET /two HTTP/1.1\r\nHost: x\r\n\r\nGET /three HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
  t.same(seen, [
    'in /one',
    'close after /one: last /one, complete true',
    'in /two',
    'in /three',
    'close after /three: last /three, complete true',
  ], 'node:http parser.incoming is the request just answered when node:http closes after it')
})

t.test("net's _handle.fd: the fd of a server's listening socket", async (t) => {
  const server: Server = createServer()
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  t.teardown(() => server.close())
  const port = (server.address() as { port: number }).port.toString(16).toUpperCase().padStart(4, '0')
  const row = readFileSync('/proc/net/tcp', 'utf8').split('\n').map((line) => line.trim().split(/\s+/)).find((fields) => fields[1] === `0100007F:${port}` && fields[3] === '0A')
  t.equal(readlinkSync(`/proc/self/fd/${socketFd(server)}`), `socket:[${row?.[9]}]`, 'net Server _handle.fd is the listening socket')
})

t.test("pino's symbols: a line written from them is the line pino writes", async (t) => {
  const lines: string[] = []
  const logger = pino({ timestamp: () => ',"time":7', base: { pid: 1, hostname: 'h' } }, { write: (line: string) => void lines.push(line) }).child({ mode: 'listener' })
  logger.info({ reqId: 'r', url: '/roll' }, 'request')
  writePinoLine(logger, logger.levels.values.info!, ',"reqId":"r","url":"/roll","msg":"request"')
  t.equal(lines.length, 2)
  t.equal(lines[1], lines[0], "pino symbols lsCacheSym, timeSym, chindingsSym, endSym, streamSym: the same line as pino's own")
  t.ok(isPinoLogger(logger), 'pino symbols.streamSym is set on a pino logger')
  t.notOk(isPinoLogger({ info() {} }), 'and on nothing else')
  t.notOk(isPinoLogger(undefined))
})

t.test("Fastify's getServerInstance(): the server we make is the one Fastify makes", async (t) => {
  const options: FastifyServerOptions = { keepAliveTimeout: 4321, requestTimeout: 8765, connectionTimeout: 2345, maxRequestsPerSocket: 7 }
  const own = fastify(options)
  let given: [(request: IncomingMessage, response: ServerResponse) => void, FastifyServerOptions] | undefined
  const deferred = fastify({
    ...options, serverFactory: (handler, normalized) => {
      given = [handler, normalized]
      return http.createServer()
    }
  })
  t.teardown(() => Promise.all([own.close(), deferred.close()]))
  const ours = fastifyHttpServer(given![1], given![0])
  // Every plain setting of the server (timeouts, limits, flags): a new step in Fastify shows here.
  const settings = (server: http.Server): Record<string, unknown> =>
    Object.fromEntries(Object.entries(server).filter(([key, value]) => !key.startsWith('_') && ['number', 'boolean', 'string'].includes(typeof value)))
  t.same(settings(ours), settings(own.server), 'Fastify getServerInstance(): the same timeouts and limits on the server')
  t.equal(ours.keepAliveTimeout, 4321)
  t.equal(ours.timeout, 2345)
  t.equal(ours.maxRequestsPerSocket, 7)
  t.equal(fastifyHttpServer({ maxRequestsPerSocket: 0 }, ok).maxRequestsPerSocket, http.createServer().maxRequestsPerSocket, 'zero keeps Node\'s default, as in Fastify')
})

t.test("net.Socket's cached peer address: read once, still known after the socket is destroyed", async (t) => {
  const acceptor = createServer()
  t.teardown(() => acceptor.close())
  await new Promise<void>((done) => acceptor.listen(0, '127.0.0.1', done))
  const port = (acceptor.address() as { port: number }).port
  const peerAfterDestroy = async (keep: boolean): Promise<string | undefined> => {
    const accepted = new Promise<Socket>((done) => acceptor.once('connection', done))
    const client = connect(port, '127.0.0.1')
    client.on('error', () => {})
    const socket = await accepted
    if (keep) keepPeerAddress(socket)
    socket.destroy()
    client.destroy()
    return socket.remoteAddress
  }
  t.equal(await peerAfterDestroy(false), undefined, 'unread, a destroyed socket knows no peer (else the internal is no longer needed)')
  t.equal(await peerAfterDestroy(true), '127.0.0.1', 'read by keepPeerAddress as it arrived: still known')
})
