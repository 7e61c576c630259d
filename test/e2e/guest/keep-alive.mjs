// Runs inside the VM: CONNECTIONS keep-alive connections to 127.0.0.1:PORT from LOCAL_ADDRESS
// (default 127.0.0.1), each sending GET /roll as soon as the answer to the one before has
// arrived, until SECONDS have passed or MAX_REQUESTS have been sent; then prints what they got
// as JSON on stdout.
//   node keep-alive.mjs PORT CONNECTIONS SECONDS [MAX_REQUESTS] [LOCAL_ADDRESS]
// A raw socket, not node:http's client: the guest's two emulated cores are shared with the
// server, and the less the load generator spends, the more requests a round measures. An answer
// that is not a 200 with a roll, or none at all, counts as failed.
import net from 'node:net'

const [portArg, connectionsArg, secondsArg, maxArg = 'Infinity', localAddress = '127.0.0.1'] = process.argv.slice(2)
const [port, connections, seconds, maxRequests] = [portArg, connectionsArg, secondsArg, maxArg].map(Number)
const REQUEST = 'GET /roll HTTP/1.1\r\nHost: e2e\r\n\r\n'
const ROLL = /^\{"result":\d+\}$/
// A connection still waiting this long after the deadline gets no more time.
const GRACE_MS = 30_000
const tally = { requests: 0, ok: 0, failed: 0, errors: {} }
const started = Date.now()
const deadline = started + seconds * 1000

function fail(reason) {
  tally.failed++
  tally.errors[reason] = (tally.errors[reason] ?? 0) + 1
}

/** The whole responses at the head of `text`, the bytes left after them, and what is wrong. */
function responses(text) {
  const whole = []
  for (;;) {
    const headEnd = text.indexOf('\r\n\r\n')
    if (headEnd < 0) return { whole, rest: text }
    const head = text.slice(0, headEnd)
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? NaN)
    if (!Number.isInteger(length)) return { whole, rest: text, error: 'a response without content-length' }
    if (text.length < headEnd + 4 + length) return { whole, rest: text }
    whole.push({ status: text.slice(9, 12), body: text.slice(headEnd + 4, headEnd + 4 + length), closing: /\r\nconnection: *close/i.test(head) })
    text = text.slice(headEnd + 4 + length)
  }
}

function client() {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress })
    socket.setEncoding('latin1')
    let buffered = ''
    let waiting = false
    // Counts a request sent and never answered once, however the connection then ends.
    const unanswered = (reason) => {
      if (waiting) fail(reason)
      waiting = false
    }
    const send = () => {
      tally.requests++
      waiting = true
      socket.write(REQUEST)
    }
    const stall = setTimeout(() => {
      unanswered(`no answer ${GRACE_MS / 1000} s after the end`)
      socket.destroy()
    }, deadline - Date.now() + GRACE_MS)
    socket.on('connect', () => (Date.now() < deadline || seconds === 0 ? send() : socket.end()))
    socket.on('data', (chunk) => {
      const { whole, rest, error } = responses(buffered + chunk)
      buffered = rest
      if (whole.length > 0) waiting = false
      for (const { status, body } of whole) {
        if (status === '200' && ROLL.test(body)) tally.ok++
        else fail(`${status} ${body.slice(0, 60)}`)
      }
      if (error) {
        unanswered(error)
        socket.destroy()
      } else if (whole.length > 0) {
        // A server that says it closes gets no more requests on this connection.
        if (whole.at(-1).closing) socket.end()
        else if (Date.now() < deadline && tally.requests < maxRequests) send()
        else socket.end()
      }
    })
    let connected = false
    socket.on('connect', () => { connected = true })
    socket.on('error', (e) => {
      if (connected) unanswered(e.code ?? e.message)
      else fail(`cannot connect: ${e.code ?? e.message}`)
    })
    socket.on('close', () => {
      clearTimeout(stall)
      unanswered('closed before the answer')
      resolve()
    })
  })
}

await Promise.all(Array.from({ length: connections }, client))
console.log(JSON.stringify({ seconds: (Date.now() - started) / 1000, ...tally }))
