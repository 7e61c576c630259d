// Run by `npm run test:stress` before the tests (tap --before): starts an empty results file
// with the time and the machine, for scripts/reliability-report.ts to read.
import { mkdirSync, writeFileSync } from 'node:fs'
import { availableParallelism, totalmem } from 'node:os'
import { dirname } from 'node:path'

const file = process.env.RELIABILITY_RESULTS
if (!file) throw new Error('RELIABILITY_RESULTS is not set: run this through npm run test:stress')
mkdirSync(dirname(file), { recursive: true })
const machine = `${availableParallelism()} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}`
writeFileSync(file, `${JSON.stringify({ startedAt: new Date().toISOString(), machine })}\n`)
