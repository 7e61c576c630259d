// Floor for the listener model: a bare node:http server on the listening socket systemd passes
// as fd 3 (Accept=no), answering what diceroll's /roll answers, without logging.
'use strict'
const { createServer } = require('node:http')
const { randomInt } = require('node:crypto')

createServer((request, response) => {
  const body = `{"result":${randomInt(1, 7)}}`
  response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length })
  response.end(body)
}).listen({ fd: 3 })
