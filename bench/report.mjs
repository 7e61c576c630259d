#!/usr/bin/env node
// Writes docs/benchmarks.md and docs/benchmarks.svg from measured results; run by bench/run.mjs,
// or by hand to redraw from the last run's .cache/bench/results.json without measuring again
// (`--results=<file>` another run's, `--name=benchmarks-node20` to write docs/<name>.md and .svg:
// a second Node line's run beside the first; only the default name updates the README headline).
import { mkdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chart } from './lib/chart.mjs'
import { updateReadme, writeReport } from './lib/report.mjs'

export function publish(results, { root, outDir, command, name = 'benchmarks' }) {
  mkdirSync(outDir, { recursive: true })
  const { summary, headline } = writeReport(results, { outDir, command, name })
  if (!results.quick && name === 'benchmarks') updateReadme(join(root, 'README.md'), headline)
  chart(results, join(outDir, `${name}.svg`))
  console.log(`\n${summary}\n\nwrote ${join(outDir, `${name}.md`)} and ${join(outDir, `${name}.svg`)}${results.quick ? ' (quick run: not the quoted figures)' : ''}`)
}

export function nameOption(argv) {
  const name = argv.find((arg) => arg.startsWith('--name='))?.slice('--name='.length) ?? 'benchmarks'
  if (!/^benchmarks[\w-]*$/.test(name)) {
    console.error(`bench: --name=${name} is not a report name: use benchmarks or benchmarks-<suffix>, e.g. --name=benchmarks-node20`)
    process.exit(2)
  }
  return name
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
  const file = process.argv.find((arg) => arg.startsWith('--results='))?.slice('--results='.length) ?? join(root, '.cache/bench/results.json')
  const results = JSON.parse(readFileSync(file, 'utf8'))
  const name = nameOption(process.argv)
  publish(results, { root, outDir: results.quick ? join(root, '.cache/bench') : join(root, 'docs'), name, command: `npm run bench${results.quick ? ' -- --quick' : ''}${name === 'benchmarks' ? '' : ` -- --name=${name}`}` })
}
