import { Writable } from 'node:stream'
import { pino } from 'pino'
import t, { type Test } from 'tap'
import { buildApp, type AppOptions } from '../src/app.js'

function appWith(t: Test, options: AppOptions = {}) {
  const app = buildApp({ randomInt: (_min, max) => max, ...options })
  t.teardown(() => app.close())
  return app
}

t.test('GET /roll rolls one six-sided die, as the original recipe did', async (t) => {
  const res = await appWith(t).inject('/roll')
  t.equal(res.statusCode, 200)
  t.equal(res.headers['content-type'], 'application/json; charset=utf-8')
  t.equal(res.body, '{"result":6}')
})

t.test('GET /roll?dice= rolls the notation with the injected source', async (t) => {
  let next = 0
  const app = appWith(t, { randomInt: () => (next++ % 3) + 1 })
  t.same((await app.inject('/roll?dice=3d6%2B2')).json(), { dice: '3d6+2', rolls: [1, 2, 3], result: 8 })
  t.same((await app.inject('/roll?dice=2d6+1')).json(), { dice: '2d6+1', rolls: [1, 2], result: 4 }, '+ as typed in a URL')
  t.same((await app.inject('/roll?dice=d20-3')).json(), { dice: '1d20-3', rolls: [3], result: 0 })
})

t.test('the default source is the kernel one (random.ts), within 1..6', async (t) => {
  const app = buildApp()
  t.teardown(() => app.close())
  const seen = new Set<number>()
  for (let i = 0; i < 200; i++) seen.add((await app.inject('/roll')).json<{ result: number }>().result)
  t.same([...seen].sort(), [1, 2, 3, 4, 5, 6])
})

t.test('bad input gets a 400 in Fastify\'s error shape that says what is wrong', async (t) => {
  const app = appWith(t)
  const cases: [string, Record<string, unknown>][] = [
    ['/roll?dice=abc', { statusCode: 400, error: 'Bad Request', message: 'dice "abc" is not dice notation: use NdS, NdS+K or NdS-K, for example 2d6+1' }],
    ['/roll?dice=', { statusCode: 400, error: 'Bad Request', message: 'dice "" is not dice notation: use NdS, NdS+K or NdS-K, for example 2d6+1' }],
    ['/roll?dice=101d6', { statusCode: 400, error: 'Bad Request', message: 'dice "101d6": 101 dice is out of range, roll 1 to 100 dice' }],
    ['/roll?dice=1d6&seed=3', { statusCode: 400, code: 'FST_ERR_VALIDATION', error: 'Bad Request', message: 'unknown query parameter "seed": /roll takes only "dice", for example /roll?dice=2d6+1' }],
    ['/roll?dice=1d6&dice=2d6', { statusCode: 400, code: 'FST_ERR_VALIDATION', error: 'Bad Request', message: 'give "dice" once, for example /roll?dice=2d6+1' }],
    [`/roll?dice=${'1'.repeat(21)}`, { statusCode: 400, code: 'FST_ERR_VALIDATION', error: 'Bad Request', message: 'dice is too long: use NdS, NdS+K or NdS-K, for example /roll?dice=2d6+1' }],
  ]
  for (const [url, body] of cases) {
    const res = await app.inject(url)
    t.equal(res.statusCode, 400, url)
    t.same(res.json(), body, url)
  }
})

t.test('unknown routes and methods get a JSON 404', async (t) => {
  const app = appWith(t)
  const res = await app.inject('/nope')
  t.equal(res.statusCode, 404)
  t.same(res.json(), { statusCode: 404, error: 'Not Found', message: 'Route GET:/nope not found' })
  t.same((await app.inject({ method: 'POST', url: '/roll' })).json(), { statusCode: 404, error: 'Not Found', message: 'Route POST:/roll not found' })
})

t.test('GET /healthz', async (t) => {
  const res = await appWith(t).inject('/healthz')
  t.equal(res.statusCode, 200)
  t.equal(res.body, '{"status":"ok"}')
})

t.test('closeEachConnection answers Connection: close even to keep-alive requests', async (t) => {
  const res = await appWith(t, { closeEachConnection: true }).inject({ url: '/roll', headers: { connection: 'keep-alive' } })
  t.equal(res.headers.connection, 'close')
  t.equal((await appWith(t).inject('/roll')).headers.connection, 'keep-alive')
})

t.test('one log line per request with method, url, status, time, remote address', async (t) => {
  const lines: Record<string, unknown>[] = []
  const sink = new Writable({ write(chunk: Buffer, _encoding, done) { lines.push(JSON.parse(String(chunk))); done() } })
  const logger = pino({ base: { mode: 'listener' } }, sink)
  const app = appWith(t, { logger, remoteAddress: '10.0.0.7' })
  app.get('/boom', async () => { throw new Error('kaboom') })
  await app.inject('/roll?dice=2d6')
  await app.inject('/roll?dice=0d6')
  await app.inject('/boom')
  const requests = lines.filter((line) => line.msg === 'request')
  t.equal(requests.length, 3)
  t.match(requests[0], { level: 30, mode: 'listener', method: 'GET', url: '/roll?dice=2d6', statusCode: 200, remoteAddress: '10.0.0.7', responseTimeMs: Number })
  t.match(requests[1], { level: 30, url: '/roll?dice=0d6', statusCode: 400 })
  t.match(requests[2], { level: 50, url: '/boom', statusCode: 500 })
  t.equal(lines.filter((line) => line.msg === 'kaboom').length, 1, 'a 5xx also logs the error with its stack')
  t.equal(lines.filter((line) => line.msg !== 'request' && line.msg !== 'kaboom').length, 0, 'nothing else')
})
