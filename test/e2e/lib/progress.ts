// Step lines with elapsed seconds on stderr (tap passes stderr through), and for each guest a
// summary (.cache/e2e/GUEST/summary.md) and the measured results (.cache/e2e-results-GUEST.json).
import fs from 'node:fs'
import path from 'node:path'

const CACHE = path.resolve(import.meta.dirname, '../../../.cache')
const started = Date.now()
const figures: Array<[string, string]> = []
const outcomes: Array<{ name: string, passed: boolean }> = []
const results: Record<string, unknown> = {}
let guestName = 'guest'

export const elapsed = (): string => `${((Date.now() - started) / 1000).toFixed(1)}s`

/** Where this guest's console log, journal and summary go; made on first use. */
export function resultsDir(guest: string): string {
  guestName = guest
  const dir = path.join(CACHE, 'e2e', guest)
  fs.mkdirSync(dir, { recursive: true })
  return dir
}

export function step(message: string): void {
  process.stderr.write(`e2e ${guestName} [${elapsed().padStart(6)}] ${message}\n`)
}

/** A measured figure for the summary: `figure('boot to ssh', '14.2 s')`. */
export function figure(name: string, value: string): void {
  figures.push([name, value])
  step(`${name}: ${value}`)
}

/** A result for the JSON file, under `key`: `record('restarts', { failed: 0, … })`. */
export function record(key: string, value: unknown): void {
  results[key] = value
}

/** One line per subtest in the summary: `outcome('boot', true)`. */
export function outcome(name: string, passed: boolean): void {
  outcomes.push({ name, passed })
}

/** Writes both files and returns a short summary for the end of the run. */
export function writeSummary(verdict: string): string {
  const dir = resultsDir(guestName)
  const file = path.join(dir, 'summary.md')
  const json = path.join(CACHE, `e2e-results-${guestName}.json`)
  const width = Math.max(...figures.map(([name]) => name.length), 4)
  const lines = [
    `# diceroll e2e under systemd, ${guestName} (${new Date().toISOString()})`,
    '',
    `outcome: ${verdict}, total ${elapsed()}`,
    '',
    ...outcomes.map(({ name, passed }) => `- ${passed ? 'pass' : 'FAIL'}  ${name}`),
    '',
    '## Figures',
    '',
    ...figures.map(([name, value]) => `- ${name.padEnd(width)}  ${value}`),
    '',
    `Results: ${json}; guest console: ${path.join(dir, 'console.log')}; guest journal: ${path.join(dir, 'journal.txt')}`,
    '',
  ]
  fs.writeFileSync(file, lines.join('\n'))
  fs.writeFileSync(json, JSON.stringify({
    guest: guestName, finished: new Date().toISOString(), seconds: Number(elapsed().slice(0, -1)), verdict,
    outcomes, figures: Object.fromEntries(figures), results,
  }, null, 2) + '\n')
  const failed = outcomes.filter((o) => !o.passed).map((o) => o.name)
  return [`${guestName}: ${verdict} in ${elapsed()}; ${outcomes.length - failed.length}/${outcomes.length} checks passed`,
    ...failed.map((name) => `  FAIL ${name}`), `  ${file}`, `  ${json}`].join('\n')
}
