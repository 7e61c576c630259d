// The request line written by hand must be the line pino writes, and request.log must still be a
// full logger, made only when something logs through it.
import { connect, type AddressInfo, type Socket } from 'node:net'
import { pino, type Logger } from 'pino'
import t, { type Test } from 'tap'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { buildApp, type AppOptions } from '../src/app.js'
import { createAcceptor, prepareHttpServer } from '../src/http/accept.js'
import { hundredths, jsonString } from '../src/http/request-log.js'

function capture(level = 'info') {
  const text: string[] = []
  const logger = pino({ level, base: { pid: 4242, mode: 'listener' }, timestamp: () => ',"time":1' }, { write: (line: string) => text.push(line) })
  let children = 0
  const child = logger.child
  // Children inherit this from the logger: it counts theirs too.
  logger.child = function (this: Logger, ...args: Parameters<Logger['child']>) {
    children++
    return child.apply(this, args)
  } as Logger['child']
  return { logger, text, children: () => children }
}

function appWith(t: Test, options: AppOptions) {
  const app = buildApp({ randomInt: (_min, max) => max, ...options })
  t.teardown(() => app.close())
  return app
}

t.test('the request line is byte for byte what pino writes from a child with the reqId', async (t) => {
  const { logger, text, children } = capture()
  const app = appWith(t, { logger, remoteAddress: '10.0.0.7' })
  const made = children() // Fastify makes one of its own at construction
  await app.inject('/roll?dice=2d6')
  await app.inject('/roll?dice=0d6')
  t.equal(children(), made, 'no child logger for a request that logs nothing else')
  t.equal(text.length, 2)
  const expected = text.map((line, index) => {
    const { url, statusCode, responseTimeMs } = JSON.parse(line) as Record<string, unknown>
    const out: string[] = []
    const reference = pino({ base: { pid: 4242, mode: 'listener' }, timestamp: () => ',"time":1' }, { write: (l: string) => out.push(l) })
    reference.child({ reqId: `req-${index + 1}` }).info({ method: 'GET', url, statusCode, responseTimeMs, remoteAddress: '10.0.0.7' }, 'request')
    return out[0]
  })
  t.same(text, expected)
  t.match(JSON.parse(text[1] as string), { url: '/roll?dice=0d6', statusCode: 400 })
})

t.test('below info no request line is written; a 5xx still gets its error lines through pino', async (t) => {
  const { logger, text } = capture('warn')
  const app = appWith(t, { logger })
  app.get('/boom', async () => {
    throw new Error('kaboom')
  })
  await app.inject('/roll')
  t.same(text, [])
  await app.inject('/boom')
  const lines = text.map((line) => JSON.parse(line) as Record<string, unknown>)
  t.match(lines, [{ level: 50, msg: 'kaboom', reqId: 'req-2' }, { level: 50, msg: 'request', reqId: 'req-2', statusCode: 500, url: '/boom' }])
})

t.test('request.log is a real child logger, with the reqId, once a handler logs through it', async (t) => {
  const { logger, text, children } = capture('debug')
  const app = appWith(t, { logger })
  app.get('/chatty', async (request) => {
    request.log.warn({ step: 1 }, 'hello')
    request.log.child({ part: 'inner' }).debug('nested')
    const before = request.log.level
    request.log.level = 'error'
    request.log.info('not written: this request now logs errors only')
    return { before, after: request.log.level }
  })
  const made = children()
  const res = await app.inject('/chatty')
  t.same(res.json(), { before: 'debug', after: 'error' })
  t.equal(children() - made, 2, 'request.log, made on first use, and the child the handler asked of it')
  t.match(text.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.msg !== 'started'), [
    { level: 40, msg: 'hello', reqId: 'req-1', step: 1 },
    { level: 20, msg: 'nested', reqId: 'req-1', part: 'inner' },
    { level: 30, msg: 'request', reqId: 'req-1', url: '/chatty' },
  ])
})

t.test('a logger that is not pino gets the request line through request.log', async (t) => {
  const calls: unknown[][] = []
  const logger: FastifyBaseLogger = {
    level: 'info',
    fatal: () => {},
    error: () => {},
    warn: () => {},
    info: (...args: unknown[]) => calls.push(args),
    debug: () => {},
    trace: () => {},
    silent: () => {},
    child: () => logger,
  }
  const app = appWith(t, { logger, remoteAddress: '10.0.0.7' })
  await app.inject('/healthz')
  t.match(calls, [[{ method: 'GET', url: '/healthz', statusCode: 200, remoteAddress: '10.0.0.7', responseTimeMs: Number }, 'request']])
})

/** The app behind the listener mode's acceptor on 127.0.0.1, and a TCP client connected to it. */
async function connectOverTcp(t: Test, app: FastifyInstance): Promise<Socket> {
  await app.ready()
  prepareHttpServer(app)
  const acceptor = createAcceptor(app)
  t.teardown(() => acceptor.close())
  await new Promise<void>((resolve) => acceptor.listen({ host: '127.0.0.1', port: 0 }, resolve))
  const client = connect({ host: '127.0.0.1', port: (acceptor.address() as AddressInfo).port })
  client.on('error', () => {}) // the tests reset their own connections
  return client
}

t.test('a TCP client that resets its connection before the request line is written is still logged with its address', async (t) => {
  const { logger, text } = capture()
  const app = appWith(t, { logger })
  app.get('/reset', (request, reply) => {
    // Runs before Fastify's own 'finish' listener: the socket is gone when the line is written,
    // as when a client resets right after reading its answer.
    reply.raw.prependListener('finish', () => request.socket.destroy())
    return reply.send('bye')
  })
  const client = await connectOverTcp(t, app)
  client.resume()
  client.write('GET /reset HTTP/1.1\r\nHost: diceroll\r\n\r\n')
  await new Promise((resolve) => client.once('close', resolve))
  t.match(JSON.parse(text.find((line) => line.includes('"url":"/reset"')) ?? '{}'), { statusCode: 200, remoteAddress: '127.0.0.1' })
})

t.test('a request whose client goes away before the answer gets a line of its own', async (t) => {
  const { logger, text } = capture()
  const app = appWith(t, { logger })
  let arrived!: () => void
  const inHandler = new Promise<void>((resolve) => (arrived = resolve))
  app.get('/slow', async () => {
    arrived()
    await new Promise((resolve) => setTimeout(resolve, 200))
    return 'too late'
  })
  const client = await connectOverTcp(t, app)
  client.write('GET /slow?x=1 HTTP/1.1\r\nHost: diceroll\r\n\r\n')
  await inHandler
  client.resetAndDestroy()
  await new Promise((resolve) => setTimeout(resolve, 300))
  const lines = text.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.url === '/slow?x=1')
  t.match(lines, [{ level: 30, reqId: 'req-1', method: 'GET', remoteAddress: '127.0.0.1', msg: 'request aborted by the client' }])
  t.equal(lines.length, 1, 'no request line after it: the request never completed')
})

t.test('a connection that goes away mid-pipeline: each unanswered request gets its aborted line, the answered one its request line', async (t) => {
  const { logger, text } = capture()
  const app = appWith(t, { logger })
  let arrivals = 0
  let bothArrived!: () => void
  const inHandlers = new Promise<void>((resolve) => (bothArrived = resolve))
  app.get('/stall', async () => {
    if (++arrivals === 2) bothArrived()
    await new Promise((resolve) => setTimeout(resolve, 200))
    return 'too late'
  })
  const client = await connectOverTcp(t, app)
  client.resume()
  client.write('GET /roll HTTP/1.1\r\nHost: diceroll\r\n\r\nGET /stall?n=1 HTTP/1.1\r\nHost: diceroll\r\n\r\nGET /stall?n=2 HTTP/1.1\r\nHost: diceroll\r\n\r\n')
  await inHandlers
  client.resetAndDestroy()
  await new Promise((resolve) => setTimeout(resolve, 300))
  const lines = text.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.method === 'GET')
  t.match(lines, [
    { reqId: 'req-1', url: '/roll', statusCode: 200, msg: 'request' },
    { reqId: 'req-2', url: '/stall?n=1', remoteAddress: '127.0.0.1', msg: 'request aborted by the client' },
    { reqId: 'req-3', url: '/stall?n=2', remoteAddress: '127.0.0.1', msg: 'request aborted by the client' },
  ])
  t.equal(lines.length, 3, 'one line per request, none twice')
})

t.test('a URL that JSON must escape is written as pino writes it, and the line stays one line', async (t) => {
  const { logger, text } = capture()
  const app = appWith(t, { logger })
  const client = await connectOverTcp(t, app)
  const answers: Buffer[] = []
  client.on('data', (chunk: Buffer) => answers.push(chunk))
  // node:http refuses control characters and bytes past ASCII in a URL (400): these two it keeps.
  client.end('GET /roll?q="quoted"\\back HTTP/1.1\r\nHost: diceroll\r\nConnection: close\r\n\r\n')
  await new Promise((resolve) => client.once('close', resolve))
  t.match(Buffer.concat(answers).toString('latin1'), /^HTTP\/1\.1 400 [^]*unknown query parameter \\"q\\"/)
  t.equal(text.length, 1)
  const line = text[0] as string
  t.equal(line.indexOf('\n'), line.length - 1, 'one line')
  const { time, responseTimeMs } = JSON.parse(line) as Record<string, unknown>
  const out: string[] = []
  const reference = pino({ base: { pid: 4242, mode: 'listener' }, timestamp: () => `,"time":${String(time)}` }, { write: (l: string) => out.push(l) })
  reference.child({ reqId: 'req-1' }).info({ method: 'GET', url: '/roll?q="quoted"\\back', statusCode: 400, responseTimeMs, remoteAddress: '127.0.0.1' }, 'request')
  t.same(text, out)
})

t.test('jsonString is JSON.stringify for every string, escaped or not', async (t) => {
  const samples = ['', '/roll?dice=2d6', 'a"b', 'a\\b', 'tab\there', 'del\u007f', 'w\u00fcrfel', '\u2680\u{1f3b2}', 'lone \ud800 surrogate', '\u2028']
  for (let code = 0; code < 0x100; code++) samples.push(`/x${String.fromCharCode(code)}y`)
  t.same(samples.map(jsonString), samples.map((sample) => JSON.stringify(sample)))
})

t.test('hundredths is JSON.stringify(count / 100) for every count of hundredths', async (t) => {
  const mismatches: number[] = []
  for (let count = 0; count <= 300_000; count++) if (hundredths(count) !== JSON.stringify(count / 100)) mismatches.push(count)
  for (const count of [1e9 + 7, 2 ** 40 + 1, 1e15 - 1]) if (hundredths(count) !== JSON.stringify(count / 100)) mismatches.push(count)
  t.same(mismatches, [])
  // Outside whole non-negative counts below 1e15 it is JSON.stringify itself.
  t.same([Number.NaN, -1, 1.5, 1e15, Infinity].map(hundredths), ['null', '-0.01', '0.015', '10000000000000', 'null'])
})
