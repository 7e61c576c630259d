// Entry of the startup snapshot (scripts/build.mjs → dist/diceroll.blob). At build time: load
// every module and build the app; at run time the deserialized process runs main.ts, whose
// buildApp() gets the ready app. Run by dist/diceroll (scripts/launchers.mjs).
import { startupSnapshot } from 'node:v8'
import { markStart } from '../start-report.js'
import { prebuild } from './prebuilt.js'

prebuild().catch((error: unknown) => {
  process.stderr.write(`cannot build the snapshot: ${String(error)}\n`)
  process.exit(1)
})

startupSnapshot.setDeserializeMainFunction(() => {
  markStart('snapshot')
  void import('../main.js')
})
