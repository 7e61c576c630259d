// Standalone: no systemd, listen on host:port (development, containers).
import type { AddressInfo, Server } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { listenError } from '../errors.js'
import { createAcceptor, prepareHttpServer } from '../http/accept.js'

export async function serveStandalone(app: FastifyInstance, host: string, port: number): Promise<Server[]> {
  prepareHttpServer(app)
  const acceptor = createAcceptor(app)
  const shown = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
  await new Promise<void>((resolve, reject) => {
    acceptor.once('error', (error: NodeJS.ErrnoException) => reject(listenError(shown, error)))
    acceptor.listen({ host, port }, resolve)
  })
  const actualPort = (acceptor.address() as AddressInfo).port
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`
  app.log.info({ address: host, port: actualPort }, `listening on ${url}`)
  return [acceptor]
}
