#!/usr/bin/env node
// Reproducer, kept to report upstream: in Node 20 and 22, process.nextTick in a process started from a
// startup snapshot is several times slower when the snapshot's build ran the tick queue (as
// every real app's build does: Fastify's ready() runs on nextTick). On Node 22 it costs a
// listener started from dist/diceroll.blob clearly more CPU per warm request than the bundle, so
// that line's launcher starts listeners from the bundle (docs/benchmarks.md, "Node lines").
// Usage: node bench/snapshot-nexttick.cjs
'use strict'
const v8 = require('node:v8')

function measure() {
  let ticks = 0
  const total = 1e6
  const started = process.hrtime.bigint()
  const tick = () => {
    if (++ticks < total) return process.nextTick(tick)
    console.log((Number(process.hrtime.bigint() - started) / total).toFixed(0))
  }
  process.nextTick(tick)
}

if (v8.startupSnapshot.isBuildingSnapshot()) {
  let built = 0
  const buildTick = () => {
    if (++built < Number(process.env.BUILD_TICKS)) process.nextTick(buildTick)
  }
  process.nextTick(buildTick)
  v8.startupSnapshot.setDeserializeMainFunction(measure)
} else if (process.argv[2] === 'plain') {
  measure()
} else {
  // Loaded here, not above: the build runs this file too, and these need not be in its snapshot.
  const { execFileSync } = require('node:child_process')
  const { mkdtempSync } = require('node:fs')
  const { tmpdir } = require('node:os')
  const { join } = require('node:path')
  const dir = mkdtempSync(join(tmpdir(), 'snapshot-nexttick-'))
  const run = (args, env = {}) => execFileSync(process.execPath, args, { env: { ...process.env, ...env }, encoding: 'utf8' }).trim()
  console.log(`no snapshot: ${run([__filename, 'plain'])} ns per nextTick`)
  for (const ticks of [0, 100]) {
    const blob = join(dir, `${ticks}.blob`)
    run(['--snapshot-blob', blob, '--build-snapshot', __filename], { BUILD_TICKS: String(ticks) })
    console.log(`snapshot whose build ran ${ticks} ticks: ${run(['--snapshot-blob', blob])} ns per nextTick`)
  }
}
