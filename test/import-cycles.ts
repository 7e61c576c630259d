// No module under src/ imports itself through others, type imports included: a cycle makes the
// load order (and so what a module sees of another while it loads) depend on who came first.
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, normalize, resolve } from 'node:path'
import t from 'tap'

const src = resolve(import.meta.dirname, '../src')

/** Each module's relative imports, as paths under src/. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>()
  for (const file of readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.ts'))) {
    const text = readFileSync(join(src, file), 'utf8')
    const targets = [...text.matchAll(/^(?:import|export)\b[^'"]*?from\s+'(\.{1,2}\/[^']+)\.js'|^import\s+'(\.{1,2}\/[^']+)\.js'/gm)]
      .map((match) => normalize(join(dirname(file), `${match[1] ?? match[2]}.ts`)))
    graph.set(file, targets)
  }
  return graph
}

/** The first cycle found, as the chain of modules, or undefined. */
function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const done = new Set<string>()
  const visit = (file: string, path: string[]): string[] | undefined => {
    if (path.includes(file)) return [...path.slice(path.indexOf(file)), file]
    if (done.has(file)) return undefined
    for (const next of graph.get(file) ?? []) {
      const cycle = visit(next, [...path, file])
      if (cycle !== undefined) return cycle
    }
    done.add(file)
    return undefined
  }
  for (const file of graph.keys()) {
    const cycle = visit(file, [])
    if (cycle !== undefined) return cycle
  }
  return undefined
}

t.test('the graph is read, and a cycle would be found', async (t) => {
  const graph = importGraph()
  t.ok(graph.size >= 30)
  t.same(graph.get('main.ts'), ['run.ts'])
  t.ok(graph.get('app.ts')?.includes('http/request-log.ts'), 'imports from folders, type imports too')
  t.same(findCycle(new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', ['a.ts']]])), ['a.ts', 'b.ts', 'c.ts', 'a.ts'])
})

t.test('src/ has no import cycle', async (t) => {
  t.equal(findCycle(importGraph())?.join(' → '), undefined)
})
