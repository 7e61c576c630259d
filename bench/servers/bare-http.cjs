// Floor for the listener model: a bare node:http server on the listening socket systemd passes
// as fd 3 (Accept=no), answering what diceroll's /roll answers, without logging.
// The dice come from /dev/urandom through a pool, as diceroll's do (src/random.ts) and as
// crypto.randomInt's do: node:crypto alone takes a few ms to load, which is not node:http's cost.
'use strict'
const { openSync, readSync } = require('node:fs')
const { createServer } = require('node:http')

const pool = Buffer.alloc(4096)
let next = pool.length
let urandom

function rollDie() {
  for (;;) {
    if (next === pool.length) {
      urandom ??= openSync('/dev/urandom', 'r')
      readSync(urandom, pool, 0, pool.length, null)
      next = 0
    }
    const byte = pool[next++]
    // 252 = 6 × 42: rejecting the last four values keeps each face equally likely.
    if (byte < 252) return (byte % 6) + 1
  }
}

createServer((request, response) => {
  const body = `{"result":${rollDie()}}`
  response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length })
  response.end(body)
}).listen({ fd: 3 })
