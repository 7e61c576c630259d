// Step lines with elapsed seconds on stderr (tap passes stderr through), and a summary file.
import fs from 'node:fs'
import path from 'node:path'

export const RESULTS_DIR = path.resolve(import.meta.dirname, '../../../.cache/e2e')
const started = Date.now()
const figures: Array<[string, string]> = []
const outcomes: string[] = []

export const elapsed = (): string => `${((Date.now() - started) / 1000).toFixed(1)}s`

export function step(message: string): void {
  process.stderr.write(`e2e [${elapsed().padStart(6)}] ${message}\n`)
}

/** A measured figure for the summary: `figure('boot to ssh', '14.2 s')`. */
export function figure(name: string, value: string): void {
  figures.push([name, value])
  step(`${name}: ${value}`)
}

/** One line per subtest in the summary: `outcome('boot', true)`. */
export function outcome(name: string, passed: boolean): void {
  outcomes.push(`- ${passed ? 'pass' : 'FAIL'}  ${name}`)
}

export function writeSummary(verdict: string): string {
  fs.mkdirSync(RESULTS_DIR, { recursive: true })
  const file = path.join(RESULTS_DIR, 'summary.md')
  const width = Math.max(...figures.map(([name]) => name.length), 4)
  const lines = [
    `# diceroll e2e under systemd (${new Date().toISOString()})`,
    '',
    `outcome: ${verdict}, total ${elapsed()}`,
    '',
    ...outcomes,
    '',
    '## Figures',
    '',
    ...figures.map(([name, value]) => `- ${name.padEnd(width)}  ${value}`),
    '',
    `Guest console: ${path.join(RESULTS_DIR, 'console.log')}; guest journal: ${path.join(RESULTS_DIR, 'journal.txt')}`,
    '',
  ]
  fs.writeFileSync(file, lines.join('\n'))
  return file
}
