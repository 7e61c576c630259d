// Floor for the per-connection model with node:http: the least a Node process that parses HTTP
// with node:http (as Fastify does) can do for one request on the connection systemd passes as
// stdin (Accept=yes, StandardInput=socket), answering what diceroll's /roll answers, without
// logging. Against net-responder.cjs it shows what loading and running node:http costs a start.
// The die comes from /dev/urandom, as diceroll's does: node:crypto alone takes a few ms to load.
'use strict'
const { openSync, readSync } = require('node:fs')
const { createServer } = require('node:http')
const { Socket } = require('node:net')

function rollDie() {
  const byte = Buffer.alloc(1)
  const urandom = openSync('/dev/urandom', 'r')
  // 252 = 6 × 42: rejecting the last four values keeps each face equally likely.
  do readSync(urandom, byte, 0, 1, null)
  while (byte[0] >= 252)
  return (byte[0] % 6) + 1
}

const socket = new Socket({ fd: 0, readable: true, writable: true, allowHalfOpen: true })
const server = createServer((request, response) => {
  const body = `{"result":${rollDie()}}`
  response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length, connection: 'close' })
  response.end(body)
})
socket.once('close', () => process.exit(0))
server.emit('connection', socket)
