#!/usr/bin/env node
// Writes docs/benchmarks.md and docs/benchmarks.svg from measured results; run by bench/run.mjs,
// or by hand to redraw from the last run's .cache/bench/results.json without measuring again.
import { mkdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chart } from './lib/chart.mjs'
import { updateReadme, writeReport } from './lib/report.mjs'

export function publish(results, { root, outDir, command }) {
  mkdirSync(outDir, { recursive: true })
  const { summary, headline } = writeReport(results, { outDir, command })
  if (!results.quick) updateReadme(join(root, 'README.md'), headline)
  chart(results, join(outDir, 'benchmarks.svg'))
  console.log(`\n${summary}\n\nwrote ${join(outDir, 'benchmarks.md')} and ${join(outDir, 'benchmarks.svg')}${results.quick ? ' (quick run: not the quoted figures)' : ''}`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
  const results = JSON.parse(readFileSync(join(root, '.cache/bench/results.json'), 'utf8'))
  publish(results, { root, outDir: results.quick ? join(root, '.cache/bench') : join(root, 'docs'), command: `npm run bench${results.quick ? ' -- --quick' : ''}` })
}
