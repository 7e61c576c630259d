// Listener (systemd Accept=no): serve every listening socket systemd passed, on one app.
// We never unlink a passed unix socket's path nor shutdown() a listener: systemd owns them and
// keeps queueing connections while this process is not running.
import type { Server } from 'node:net'
import type { FastifyInstance } from 'fastify'
import type { ListenFd } from '../systemd/activation.js'
import { activationError } from '../errors.js'
import { createAcceptor, prepareHttpServer } from '../http/accept.js'

export async function serveListeners(app: FastifyInstance, fds: readonly ListenFd[]): Promise<Server[]> {
  prepareHttpServer(app)
  const acceptors: Server[] = []
  for (const { fd, name } of fds) {
    const acceptor = createAcceptor(app)
    await new Promise<void>((resolve, reject) => {
      acceptor.once('error', (error) =>
        reject(activationError(`cannot listen on fd ${fd} (name "${name}"): ${error.message}; is it a listening stream socket?`)))
      acceptor.listen({ fd }, resolve)
    })
    acceptors.push(acceptor)
    app.log.info({ fd, fdName: name, address: acceptor.address() }, `serving inherited listener fd ${fd}`)
  }
  return acceptors
}
