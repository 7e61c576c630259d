// Build step (scripts/build.mjs): run the bundle once, standalone on a free port, send it the
// requests the service answers (CODE_CACHE_PATHS, src/warm-up-paths.ts), then save V8's code
// cache. Made after real requests, the cache holds the functions a request needs, not only the
// ones compiled at load.
'use strict'
const { readFileSync, writeFileSync } = require('node:fs')
const { get } = require('node:http')
const { createServer } = require('node:net')
const { join } = require('node:path')
const { pathToFileURL } = require('node:url')
const { Script } = require('node:vm')

// dist/launch.cjs must compile exactly this text, or V8 rejects the cache (it checks a source hash).
const WRAP_HEAD = '(function (exports, require, module, __filename, __dirname) {'
const WRAP_TAIL = '\n})'

async function main(file) {
  // dist/ holds what tsc built from src/: that module has no imports and reads nothing.
  const { CODE_CACHE_PATHS } = await import(pathToFileURL(join(__dirname, '../dist/warm-up-paths.js')).href)
  const port = await freePort()
  process.argv = [process.argv[0], file, '--mode=standalone', '--host=127.0.0.1', `--port=${port}`, '--log-level=silent']
  const script = new Script(WRAP_HEAD + readFileSync(file, 'utf8') + WRAP_TAIL, { filename: file })
  const module = { exports: {} }
  script.runInThisContext()(module.exports, require, module, file, require('node:path').dirname(file))
  for (const path of CODE_CACHE_PATHS) {
    await retry(() => fetchStatus(port, path))
  }
  writeFileSync(`${file}.cache`, script.createCachedData())
  process.exit(0)
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer().listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    }).on('error', reject)
  })
}

function fetchStatus(port, path) {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode))
    }).on('error', reject)
  })
}

async function retry(fn) {
  for (let i = 0; ; i++) {
    try {
      return await fn()
    } catch (error) {
      if (i === 100) throw error
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }
}

if (require.main === module) {
  main(process.argv[2]).catch((error) => {
    process.stderr.write(`make-code-cache: ${error.stack}\n`)
    process.exit(1)
  })
}
module.exports = { WRAP_HEAD, WRAP_TAIL }
