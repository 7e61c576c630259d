// The peer a Node user would pick: Fastify 5 as its Getting Started page writes it,
// `fastify({ logger: true })` and one route, loaded from node_modules. `--no-logger` drops the
// logger; nothing else differs. `listener` (default): the listening socket systemd passes as fd 3
// (Accept=no); `per-connection`: the connection as fd 3 (Accept=yes without StandardInput=socket,
// so stdout, where its logger writes, stays the journal), one request, then exit, which Fastify
// has no option for, so the least glue that does it is here;
// `--port=N`: listens on 127.0.0.1:N itself (the app behind systemd-socket-proxyd).
'use strict'
const { randomInt } = require('node:crypto')
const { Socket } = require('node:net')
const Fastify = require('fastify')

const args = process.argv.slice(2)
const fastify = Fastify({ logger: !args.includes('--no-logger') })

fastify.get('/roll', async () => ({ result: randomInt(1, 7) }))

const port = args.find((arg) => arg.startsWith('--port='))
if (port !== undefined) {
  fastify.listen({ host: '127.0.0.1', port: Number(port.slice('--port='.length)) })
} else if (args.includes('per-connection')) {
  fastify.ready().then(() => {
    const socket = new Socket({ fd: 3, readable: true, writable: true })
    socket.once('close', () => process.exit(0))
    fastify.server.emit('connection', socket)
  })
} else {
  fastify.listen({ fd: 3 })
}
