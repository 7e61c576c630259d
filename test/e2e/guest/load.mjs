// Runs inside the VM: steady load until STOP_FILE appears, then prints what the clients saw as
// JSON on stdout. Every request that does not end in a 200 with a roll counts as failed.
//   node load.mjs STOP_FILE PORT:KEEP_ALIVE:NEW_CONNECTION[:PAUSE_MS] ...
// e.g. 5000:2:2 is two clients that keep their connection alive and two that open a new
// connection for each request, on port 5000; each pauses up to PAUSE_MS (default 40) between
// requests.
import fs from 'node:fs'
import http from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'

const [stopFile, ...specs] = process.argv.slice(2)
const REQUEST_TIMEOUT_MS = 60_000
const started = Date.now()
const clients = {}

function tally(name) {
  clients[name] ??= { requests: 0, ok: 0, failed: 0, errors: {}, maxWaitMs: 0, maxWaitAtS: 0 }
  return clients[name]
}

function request(port, agent) {
  return new Promise((resolve) => {
    const sent = Date.now()
    const done = (error) => resolve({ error, waitMs: Date.now() - sent, sentAtS: (sent - started) / 1000 })
    const req = http.get({ host: '127.0.0.1', port, path: '/roll?dice=2d6', agent, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (d) => { body += d })
      res.on('error', (e) => done(e.code ?? e.message))
      res.on('end', () => done(res.statusCode === 200 && /"result":\d+/.test(body) ? undefined : `${res.statusCode} ${body.slice(0, 60)}`))
    })
    req.on('timeout', () => req.destroy(Object.assign(new Error('no answer'), { code: `no answer in ${REQUEST_TIMEOUT_MS / 1000} s` })))
    req.on('error', (e) => done(e.code ?? e.message))
  })
}

async function client(port, kind, pauseMs) {
  const t = tally(`${port} ${kind}`)
  // One connection per keep-alive client, so each one meets a restart with its own idle socket.
  const agent = kind === 'keep-alive' ? new http.Agent({ keepAlive: true, maxSockets: 1 }) : false
  while (!fs.existsSync(stopFile)) {
    const r = await request(port, agent)
    t.requests++
    if (r.error === undefined) t.ok++
    else { t.failed++; t.errors[r.error] = (t.errors[r.error] ?? 0) + 1 }
    if (r.waitMs > t.maxWaitMs) Object.assign(t, { maxWaitMs: r.waitMs, maxWaitAtS: r.sentAtS })
    // Pauses leave keep-alive connections idle at random moments, as real clients do.
    await sleep(Math.random() * pauseMs)
  }
  if (agent) agent.destroy()
}

const runs = []
for (const spec of specs) {
  const [port, keepAlive, fresh, pauseMs = 40] = spec.split(':').map(Number)
  for (let i = 0; i < keepAlive; i++) runs.push(client(port, 'keep-alive', pauseMs))
  for (let i = 0; i < fresh; i++) runs.push(client(port, 'new-connection', pauseMs))
}
await Promise.all(runs)
const all = Object.values(clients)
const sum = (key) => all.reduce((n, c) => n + c[key], 0)
console.log(JSON.stringify({ seconds: (Date.now() - started) / 1000, requests: sum('requests'), ok: sum('ok'), failed: sum('failed'), clients }))
