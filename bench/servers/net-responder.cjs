// Floor for the per-connection model: the least a Node process can do for one HTTP request on
// the connection systemd passes as stdin (Accept=yes, StandardInput=socket).
'use strict'
const { Socket } = require('node:net')
const { randomInt } = require('node:crypto')

const socket = new Socket({ fd: 0, readable: true, writable: true })
let head = ''
socket.setEncoding('latin1')
socket.on('data', (chunk) => {
  head += chunk
  if (!head.includes('\r\n\r\n')) return
  const body = `{"result":${randomInt(1, 7)}}`
  socket.end(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`)
})
