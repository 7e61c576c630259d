// A small HTTP/1.1 client on raw sockets, so the benchmark measures the servers and not a client
// library: one request per connection (connect → whole response), or many on one keep-alive
// connection. Every call has a deadline; nothing here waits forever.
import { connect } from 'node:net'

// Only a guard against a hang: sixteen starts at once on a busy 2-core machine took over 10 s.
const DEADLINE_MS = 30_000

/**
 * Connects, sends GET path with Connection: close, and resolves when the server closes the
 * connection: { ms, status, body }. ms is connect start → end of response.
 */
export function requestOnce(port, path = '/roll', host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint()
    const chunks = []
    const socket = connect({ port, host, noDelay: true })
    const timer = setTimeout(() => socket.destroy(new Error(`no response on :${port} within ${DEADLINE_MS} ms`)), DEADLINE_MS)
    socket.on('connect', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`))
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    socket.on('close', (hadError) => {
      clearTimeout(timer)
      if (hadError) return
      const ms = Number(process.hrtime.bigint() - start) / 1e6
      const text = Buffer.concat(chunks).toString('latin1')
      const status = Number(text.slice(9, 12))
      const body = text.slice(text.indexOf('\r\n\r\n') + 4)
      if (!(status >= 200 && status < 600)) reject(new Error(`bad response on :${port}: ${JSON.stringify(text.slice(0, 80))}`))
      else resolve({ ms, status, body })
    })
  })
}

/**
 * One keep-alive connection sending `count` requests one after another (Content-Length bodies
 * only, which is what our servers send). Resolves with each request's latency in ms.
 */
export function keepAliveSeries(port, count, path = '/roll', host = '127.0.0.1', deadlineMs = DEADLINE_MS * 3) {
  return new Promise((resolve, reject) => {
    const latencies = []
    let buffer = ''
    let sentAt = 0n
    const socket = connect({ port, host, noDelay: true })
    const timer = setTimeout(() => socket.destroy(new Error(`keep-alive series on :${port} took over ${deadlineMs} ms`)), deadlineMs)
    const send = () => {
      sentAt = process.hrtime.bigint()
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\n\r\n`)
    }
    socket.setEncoding('latin1')
    socket.on('connect', send)
    socket.on('data', (chunk) => {
      buffer += chunk
      for (;;) {
        const headEnd = buffer.indexOf('\r\n\r\n')
        if (headEnd === -1) return
        const length = /\r\ncontent-length: *(\d+)/i.exec(buffer.slice(0, headEnd))
        if (length === null) return socket.destroy(new Error('response without content-length'))
        const end = headEnd + 4 + Number(length[1])
        if (buffer.length < end) return
        buffer = buffer.slice(end)
        latencies.push(Number(process.hrtime.bigint() - sentAt) / 1e6)
        if (latencies.length === count) {
          clearTimeout(timer)
          socket.end()
          return resolve(latencies)
        }
        send()
      }
    })
    socket.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    socket.on('close', () => {
      clearTimeout(timer)
      if (latencies.length < count) reject(new Error(`connection closed after ${latencies.length} of ${count} responses`))
    })
  })
}
