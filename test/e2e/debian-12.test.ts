import { DEBIAN_12 } from './lib/guests.js'
import { runSuite } from './lib/suite.js'

await runSuite(DEBIAN_12)
