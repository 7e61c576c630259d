// Entry of the startup snapshot (scripts/build.mjs → dist/diceroll.blob). At build time: every
// module main() uses is loaded through the import of run.ts, and the app is built; at run time
// the deserialized process runs main() with that app. Run by dist/diceroll (scripts/launchers.mjs).
import { startupSnapshot } from 'node:v8'
import type { Prebuilt } from '../app.js'
import { main } from '../run.js'
import { markStart } from '../start-report.js'
import { prebuild } from './prebuilt.js'

let prebuilt: Prebuilt | undefined

prebuild().then((ready) => {
  prebuilt = ready
}, (error: unknown) => {
  process.stderr.write(`cannot build the snapshot: ${String(error)}\n`)
  process.exit(1)
})

startupSnapshot.setDeserializeMainFunction(() => {
  markStart('snapshot')
  main(prebuilt)
})
