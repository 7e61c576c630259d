// The pieces of the snapshot build, in-process: the app built ahead of time takes its options
// late, and serves through a real http.Server made after the fact.
import { connect } from 'node:net'
import { pino } from 'pino'
import t from 'tap'
import { buildApp } from '../src/app.js'
import { trackConnectionsWithoutListening } from '../src/internals.js'
import { deferredLogger } from '../src/logger-forwarder.js'
import { deferredServer } from '../src/snapshot/deferred-server.js'
import { prebuild } from '../src/snapshot/prebuilt.js'
import { requestIds, warmNodeInternals, warmStartPath, warmUp } from '../src/snapshot/warm-up.js'
import { WARM_UP_PATHS } from '../src/warm-up-paths.js'
import type { IncomingMessage, ServerResponse } from 'node:http'

t.test('the prebuilt app gets its logger, options and server when buildApp() takes it', async (t) => {
  const prebuilt = await prebuild()
  const lines: Record<string, unknown>[] = []
  const logger = pino({ level: 'debug', base: { pid: 4242 } }, { write: (line: string) => lines.push(JSON.parse(line)) })
  const app = buildApp({ logger, closeEachConnection: true, randomInt: () => 4, remoteAddress: '192.0.2.1', requestTimeoutMs: 1234 }, prebuilt)
  t.teardown(() => app.close())
  t.equal(app.server.requestTimeout, 1234, 'the real server, with the run-time request timeout')
  t.equal(app.server.keepAliveTimeout, 72_000, "and Fastify's own defaults")
  const res = await app.inject('/roll')
  t.same([res.statusCode, res.headers.connection, res.body], [200, 'close', '{"result":4}'])
  t.match(lines, [{ msg: 'started', start: 'modules', pid: 4242 }, { msg: 'request', remoteAddress: '192.0.2.1', reqId: 'req-1' }])
  t.not(buildApp({}, prebuilt), app, 'a second buildApp() builds a new app')

  // A real connection through app.server, the way the transports hand one over.
  trackConnectionsWithoutListening(app.server)
  const { createServer } = await import('node:net')
  const acceptor = createServer((socket) => app.server.emit('connection', socket))
  await new Promise<void>((done) => acceptor.listen(0, '127.0.0.1', done))
  t.teardown(() => acceptor.close())
  const client = connect((acceptor.address() as { port: number }).port, '127.0.0.1')
  let text = ''
  client.on('data', (chunk) => (text += chunk))
  client.write('GET /roll?dice=2d6 HTTP/1.1\r\nHost: x\r\n\r\n')
  await new Promise((done) => client.once('close', done))
  t.match(text, /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\n\{"dice":"2d6","rolls":\[4,4\],"result":8\}$/)
})

t.test('the deferred server records what is done to it before it exists', async (t) => {
  const deferred = deferredServer()
  t.throws(() => deferred.materialize({}), { message: 'materialize() before Fastify made its server' })
  t.throws(() => deferred.handler(), { message: 'handler() before Fastify made its server' })
  await deferred.close()
  const server = deferred.factory((_req, res) => res.end('ok'), { keepAliveTimeout: 5000, connectionTimeout: 7000, maxRequestsPerSocket: 3 })
  const seen: string[] = []
  server.on('custom', (value: string) => seen.push(value))
  ;(server as unknown as Record<string, unknown>).marker = 'set early'
  t.equal((server as unknown as Record<string, unknown>).marker, 'set early')
  t.equal(server.listening, undefined, 'nothing real yet')
  deferred.materialize({ requestTimeout: 99 })
  server.emit('custom', 'replayed')
  t.same(seen, ['replayed'])
  t.same([server.keepAliveTimeout, server.timeout, server.maxRequestsPerSocket, server.requestTimeout], [5000, 7000, 3, 99])
  t.equal((server as unknown as Record<string, unknown>).marker, 'set early')
  ;(server as unknown as Record<string, unknown>).marker = 'set late'
  t.equal((server as unknown as Record<string, unknown>).marker, 'set late')
  await deferred.close()
})

t.test('the deferred logger is silent until there is a logger, then forwards', async (t) => {
  let current: ReturnType<typeof pino> | undefined
  const forwarder = deferredLogger(() => current)
  t.equal(forwarder.level, 'silent')
  forwarder.level = 'debug'
  forwarder.info('dropped')
  t.equal(forwarder.child({ a: 1 }), forwarder)
  const lines: Record<string, unknown>[] = []
  current = pino({ level: 'info', base: null }, { write: (line: string) => lines.push(JSON.parse(line)) })
  forwarder.level = 'warn'
  t.equal(current.level, 'warn')
  t.equal(forwarder.level, 'warn')
  forwarder.warn('kept')
  forwarder.child({ reqId: 'r' }).error('child')
  t.match(lines, [{ msg: 'kept' }, { msg: 'child', reqId: 'r' }])
})

t.test('after the warm-up requests the prebuilt app rolls from the real source, not their stand-in', async (t) => {
  const app = buildApp({}, await prebuild())
  t.teardown(() => app.close())
  const { rolls } = JSON.parse((await app.inject('/roll?dice=100d1000')).body) as { rolls: number[] }
  t.ok(rolls.some((roll) => roll !== 1), 'the stand-in always rolls the lowest')
})

t.test('warm-up: every path once, nothing left behind, and a failed request stops the build', async (t) => {
  const late = {}
  const ids = requestIds()
  ids.next()
  const seen: string[] = []
  const answer = (statusCode: number) => (request: IncomingMessage, response: ServerResponse) => {
    seen.push(request.url as string)
    response.setHeader('x-a', '1')
    t.same([response.getHeader('x-a'), response.hasHeader('x-a'), response.getHeaders()], ['1', true, { 'x-a': '1' }])
    response.removeHeader('x-a')
    response.writeHead(statusCode)
    response.write('no')
    statusCode === 200 ? response.end() : response.end('t ok')
  }
  await warmUp(answer(200), late, ids)
  t.same(seen, WARM_UP_PATHS)
  t.same(late, {}, 'no logger, no random stand-in')
  t.equal(ids.next(), 'req-1', 'request ids start again from 1')
  await t.rejects(warmUp(answer(500), late, ids), { message: 'warm-up request /roll answered 500: not ok' })
  t.same(late, {})
})

t.test("warming main()'s start path reads nothing of this process and changes nothing", async (t) => {
  const env = { ...process.env }
  t.doesNotThrow(() => warmStartPath())
  t.same(process.env, env)
})

t.test('warming the stream, timer and AbortSignal code leaves no handle, timer or listener for the snapshot', async (t) => {
  const resources = process.getActiveResourcesInfo()
  const listeners = process.eventNames().map((name) => [name, process.listenerCount(name)])
  await warmNodeInternals()
  t.same(process.getActiveResourcesInfo(), resources)
  t.same(process.eventNames().map((name) => [name, process.listenerCount(name)]), listeners)
})
