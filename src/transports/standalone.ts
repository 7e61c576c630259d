// Standalone: no systemd, listen on host:port (development, containers).
import type { Server } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { listenError } from '../errors.js'
import { createAcceptor, prepareHttpServer } from './accept.js'

export async function serveStandalone(app: FastifyInstance, host: string, port: number): Promise<Server[]> {
  prepareHttpServer(app)
  const acceptor = createAcceptor(app)
  const shown = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
  await new Promise<void>((resolve, reject) => {
    acceptor.once('error', (error: NodeJS.ErrnoException) => reject(listenError(shown, error)))
    acceptor.listen({ host, port }, resolve)
  })
  const address = acceptor.address()
  const actualPort = typeof address === 'object' && address !== null ? address.port : port
  app.log.info({ address: host, port: actualPort }, `listening on http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`)
  return [acceptor]
}
