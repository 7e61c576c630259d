// The production subset of node_modules, read from package-lock.json rather than asked of npm:
// it works offline and without npm, and keeps native addons exactly as this host built them.
import fs from 'node:fs'
import path from 'node:path'

/** Lock-file paths (`node_modules/…`) of the installed production packages under `root`. */
export function productionModules(root) {
  const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'))
  const found = []
  for (const [rel, meta] of Object.entries(lock.packages ?? {})) {
    if (!rel.startsWith('node_modules/') || meta.dev || meta.devOptional) continue
    if (fs.existsSync(path.join(root, rel))) found.push(rel)
    // A missing optional dependency is one for another platform.
    else if (!meta.optional) throw new Error(`${rel} is missing under ${root}: run npm ci first`)
  }
  return found
}

/** The package's own native addons (`build/Release/*.node`), relative to `root`. */
export function nativeAddons(root) {
  const dir = path.join(root, 'build/Release')
  if (!fs.existsSync(dir)) return []
  return fs.readdirSync(dir).filter((f) => f.endsWith('.node')).map((f) => path.join('build/Release', f))
}
