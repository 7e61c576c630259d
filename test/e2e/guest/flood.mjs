// Runs inside the VM: opens many connections to the per-connection socket at once, from several
// loopback source addresses (MaxConnectionsPerSource= counts per address), sends one request on
// each and waits for every connection to close. What systemd did is read from systemd itself;
// this only tallies what the clients saw.
//   node flood.mjs PORT PER_SOURCE SOURCE...
import net from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

const [port, perSource, ...sources] = process.argv.slice(2)
const conns = []
for (const localAddress of sources) {
  for (let i = 0; i < Number(perSource); i++) {
    const c = { closed: false, data: '' }
    const socket = net.connect({ port: Number(port), host: '127.0.0.1', localAddress })
    socket.setEncoding('latin1')
    socket.on('connect', () => socket.write('GET /roll HTTP/1.1\r\nHost: flood\r\n\r\n'))
    socket.on('data', (d) => { c.data += d })
    socket.on('error', () => {})
    socket.on('close', () => { c.closed = true })
    conns.push(c)
  }
}
const deadline = Date.now() + 150_000
while (conns.some((c) => !c.closed) && Date.now() < deadline) await sleep(100)
const answered = conns.filter((c) => c.data.startsWith('HTTP/1.1 200')).length
const empty = conns.filter((c) => c.closed && c.data === '').length
console.log(JSON.stringify({ attempted: conns.length, answered, closedEmpty: empty, other: conns.length - answered - empty }))
process.exit(0)
