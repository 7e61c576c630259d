// The app that goes into the startup snapshot: built and ready()'d at build time, with every
// option that depends on the run (AppOptions, app-options.ts, and the rule beside it) left to be
// filled in when main() (run.ts) passes this to buildApp(). The warm-up requests (warm-up.ts)
// leave none of theirs behind.
import { createApp, fastifyOptions, type AppOptions, type Prebuilt } from '../app.js'
import { deferredLogger } from '../logger-forwarder.js'
import { deferredServer } from './deferred-server.js'
import { requestIds, warmNodeInternals, warmStartPath, warmUp } from './warm-up.js'

export async function prebuild(): Promise<Prebuilt> {
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
  await app.ready()
  await warmUp(server.handler(), late, ids)
  warmStartPath()
  await warmNodeInternals()
  let taken = false
  return {
    take(options) {
      // One app per process: a second buildApp() (tests) gets a fresh one.
      if (taken) return undefined
      taken = true
      Object.assign(late, options)
      server.materialize(fastifyOptions(options))
      return app
    },
  }
}
