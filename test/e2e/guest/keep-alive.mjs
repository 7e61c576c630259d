// Runs inside the VM: CONNECTIONS keep-alive connections to 127.0.0.1:PORT, each sending GET /roll
// as soon as the answer to the one before has arrived, for SECONDS; prints what they got as JSON
// on stdout, or until MAX_REQUESTS have been sent. A raw socket, not node:http's client: the
// guest's two emulated cores are shared with the server, and the less the load generator spends,
// the more requests a round measures.
//   node keep-alive.mjs PORT CONNECTIONS SECONDS [MAX_REQUESTS]
// An answer that is not a 200 with a roll counts as failed.
import net from 'node:net'

const [port, connections, seconds, maxRequests = Infinity] = process.argv.slice(2).map(Number)
const REQUEST = 'GET /roll HTTP/1.1\r\nHost: e2e\r\n\r\n'
const ROLL = /^\{"result":\d+\}$/
const tally = { requests: 0, ok: 0, failed: 0, errors: {} }
const started = Date.now()
const deadline = started + seconds * 1000

function fail(reason) {
  tally.failed++
  tally.errors[reason] = (tally.errors[reason] ?? 0) + 1
}

/** The whole responses at the head of `text` and the bytes left after them. */
function responses(text) {
  const whole = []
  for (;;) {
    const headEnd = text.indexOf('\r\n\r\n')
    if (headEnd < 0) return { whole, rest: text }
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(text.slice(0, headEnd))?.[1] ?? NaN)
    if (!Number.isInteger(length)) return { whole, rest: text, error: 'a response without content-length' }
    if (text.length < headEnd + 4 + length) return { whole, rest: text }
    whole.push({ status: text.slice(9, 12), body: text.slice(headEnd + 4, headEnd + 4 + length) })
    text = text.slice(headEnd + 4 + length)
  }
}

function client() {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    socket.setEncoding('latin1')
    let buffered = ''
    let waiting = false
    const send = () => {
      tally.requests++
      waiting = true
      socket.write(REQUEST)
    }
    socket.on('connect', send)
    socket.on('data', (chunk) => {
      const { whole, rest, error } = responses(buffered + chunk)
      buffered = rest
      if (whole.length > 0) waiting = false
      for (const { status, body } of whole) {
        if (status === '200' && ROLL.test(body)) tally.ok++
        else fail(`${status} ${body.slice(0, 60)}`)
      }
      if (error) {
        fail(error)
        waiting = false
        socket.destroy()
      } else if (whole.length > 0) {
        if (Date.now() < deadline && tally.requests < maxRequests) send()
        else socket.end()
      }
    })
    socket.on('error', (e) => fail(e.code ?? e.message))
    socket.on('close', () => {
      if (waiting) fail('closed before the answer')
      resolve()
    })
  })
}

await Promise.all(Array.from({ length: connections }, client))
console.log(JSON.stringify({ seconds: (Date.now() - started) / 1000, ...tally }))
