// The app that goes into the startup snapshot: built and ready()'d at build time, with every
// option that depends on the run (logger, pid, config, remote address) left to be filled in
// when main.ts calls buildApp(). Nothing here may read randomness, pid, env or config now;
// the warm-up requests (warm-up.ts) leave none of theirs behind.
import { createApp, fastifyOptions, offerPrebuilt, type AppOptions } from '../app.js'
import { deferredLogger } from './deferred-logger.js'
import { deferredServer } from './deferred-server.js'
import { requestIds, warmStartPath, warmUp } from './warm-up.js'

export async function prebuild(): Promise<void> {
  const late: AppOptions = {}
  const server = deferredServer()
  const ids = requestIds()
  const app = createApp(late, {
    ...fastifyOptions(late),
    loggerInstance: deferredLogger(() => late.logger),
    serverFactory: server.factory,
    genReqId: ids.next,
  })
  // Fastify closes only servers it listen()ed itself; ours is driven by the transports.
  app.addHook('preClose', () => server.close())
  let taken = false
  offerPrebuilt((options) => {
    // One app per process: a second buildApp() (tests) gets a fresh one.
    if (taken) return undefined
    taken = true
    Object.assign(late, options)
    server.materialize(fastifyOptions(options))
    return app
  })
  await app.ready()
  await warmUp(server.handler(), late, ids)
  warmStartPath()
}
