// GET /healthz: the process is up and serves requests.
import type { FastifyPluginCallback } from 'fastify'

export const healthRoutes: FastifyPluginCallback = (app, _options, done) => {
  app.get('/healthz', async () => ({ status: 'ok' }))
  done()
}
