// Runs inside the VM: opens many connections to the per-connection socket at once, from several
// loopback source addresses (MaxConnectionsPerSource= counts per address), holds them until
// systemd has accepted or refused each, then sends one request on every accepted connection.
//   node flood.mjs PORT PER_SOURCE SOURCE...
import net from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

const [port, perSource, ...sources] = process.argv.slice(2)
const conns = []
for (const localAddress of sources) {
  for (let i = 0; i < Number(perSource); i++) {
    const c = { closed: false, data: '', socket: net.connect({ port: Number(port), host: '127.0.0.1', localAddress }) }
    c.socket.setEncoding('latin1')
    c.socket.on('data', (d) => { c.data += d })
    c.socket.on('error', () => {})
    c.socket.on('close', () => { c.closed = true })
    conns.push(c)
  }
}
// systemd accepts and drops an excess connection at once; an accepted one stays open, waiting.
await sleep(3000)
const accepted = conns.filter((c) => !c.closed)
for (const c of accepted) c.socket.write('GET /roll HTTP/1.1\r\nHost: flood\r\n\r\n')
const deadline = Date.now() + 120_000
while (accepted.some((c) => !c.closed) && Date.now() < deadline) await sleep(100)
const answered = accepted.filter((c) => c.data.startsWith('HTTP/1.1 200')).length
console.log(JSON.stringify({
  attempted: conns.length,
  accepted: accepted.length,
  refused: conns.length - accepted.length,
  answered,
  unanswered: accepted.length - answered,
}))
for (const c of conns) c.socket.destroy()
