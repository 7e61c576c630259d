#!/usr/bin/env node
// The bin file (dist/main.js; dist/diceroll and the bundle start here too): diceroll with nothing
// prepared. A start from the startup snapshot runs the same main() (snapshot/entry.ts).
import { main } from './run.js'

main()
