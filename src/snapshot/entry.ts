// Entry of the startup snapshot (scripts/build.mjs → dist/diceroll.blob). At build time: load
// every module and build the app; at run time the deserialized process runs main.ts, whose
// buildApp() gets the ready app. Run by dist/diceroll (scripts/launchers.mjs).
import { startupSnapshot } from 'node:v8'
import { markStart } from '../start-report.js'
import { prebuild } from './prebuilt.js'
// main.ts's own modules, evaluated now so that starting main.ts only runs it: what they do when
// they load is constant (no env, pid or config is read before main() runs).
import '../systemd/activation.js'
import '../config.js'
import '../lifecycle.js'
import '../logger.js'
import '../systemd/mode.js'
import '../systemd/notify.js'
import '../transports/listener.js'
import '../transports/per-connection.js'
import '../transports/standalone.js'

prebuild().catch((error: unknown) => {
  process.stderr.write(`cannot build the snapshot: ${String(error)}\n`)
  process.exit(1)
})

startupSnapshot.setDeserializeMainFunction(() => {
  markStart('snapshot')
  void import('../main.js')
})
