// Idle exit and re-activation under client load, across many cycles, with zero failed requests:
// the supervisor fixture holds the socket and restarts the service on demand, as systemd does.
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { get, socketActivate } from './fixtures/run.js'
import { fresh, keepAlive, random, slowStart, type Outcome } from './fixtures/load.js'
import { supervise, type SupervisorEvent } from './fixtures/supervise.js'

// LIFECYCLE_CYCLES=200 for a longer soak; the suite runs 20.
const CYCLES = Number(process.env.LIFECYCLE_CYCLES ?? 20)
const IDLE_S = 0.3
const isExit = (event: SupervisorEvent): boolean => event.event === 'exit'

// About a second a cycle; the default 30 s per file is too tight on a busy 2-core machine.
t.setTimeout(Math.max(60_000, CYCLES * 3000))

t.test('no request is lost across idle exits and re-activations', async (t) => {
  // keep-alive 2 s: Node advertises timeout=2, so its client agent reuses an idle connection for
  // up to 1 s and the pauses below stay under that.
  const service = await supervise([`--idle-timeout=${IDLE_S}`, '--keep-alive-timeout=2', '--log-level=warn'])
  t.teardown(() => service.stop())
  const outcomes: Outcome[] = []
  const reactivationMs: number[] = []
  const deadline = Date.now() + Math.max(45_000, CYCLES * 2500)
  let cycle = 0
  while (cycle < CYCLES && Date.now() < deadline) {
    const exitsBefore = service.events.filter(isExit).length
    const from = service.events.length
    // The service has exited (or never started): the first request re-activates it.
    const first = await fresh(service.port, 1)
    outcomes.push(...first)
    if (first[0]?.ok) reactivationMs.push(first[0].ms)
    const burst = [
      fresh(service.port, 3),
      fresh(service.port, 2),
      keepAlive(service.port, 3, 250),
      keepAlive(service.port, 2, 250),
      slowStart(service.port, random(0, 350)).then((outcome) => [outcome]),
      slowStart(service.port, random(0, 350)).then((outcome) => [outcome]),
    ]
    // Even cycles: a lone slow client keeps a connection open, without a request, for longer
    // than the idle timeout; it must keep the process alive. Odd cycles: stragglers land around
    // the moment the idle timer fires (IDLE_S after the last connection closed).
    const tail = cycle % 2 === 0
      ? [Promise.all(burst).then(() => slowStart(service.port, random(IDLE_S * 1000 + 50, 450))).then((outcome) => [outcome])]
      : [0, 1, 2].map(async () => {
          await sleep(random(100, 400))
          return Promise.all([fresh(service.port, 1), keepAlive(service.port, 2, 200)]).then((all) => all.flat())
        })
    for (const batch of await Promise.all([...burst, ...tail])) outcomes.push(...batch)
    await service.next(isExit, from, 5000)
    t.ok(service.events.filter(isExit).length > exitsBefore, `cycle ${cycle + 1}: the service exited when idle`)
    cycle++
  }
  const exits = service.events.filter(isExit)
  const failures = outcomes.filter((outcome) => !outcome.ok)
  const logged = service.events.filter((event) => event.event === 'log' || event.event === 'stderr')
  reactivationMs.sort((a, b) => a - b)
  t.comment(`cycles ${cycle}, exits ${exits.length}, requests ${outcomes.length}, failures ${failures.length}`)
  t.comment(`re-activation (first response after an idle exit): median ${Math.round(reactivationMs[reactivationMs.length >> 1] ?? 0)} ms, max ${Math.round(reactivationMs.at(-1) ?? 0)} ms`)
  t.equal(cycle, CYCLES, `${CYCLES} idle-exit/re-activation cycles ran in time`)
  t.same(failures, [], 'zero failed requests')
  t.same(exits.filter((event) => event.code !== 0).map((event) => event.code), [], 'every exit was clean (code 0)')
  t.same(logged, [], 'no warning or error was logged')
})

t.test('an idle exit leaves a passed unix socket path in place', async (t) => {
  const path = join(mkdtempSync(join(tmpdir(), 'diceroll-idle-')), 'http.sock')
  const activator = await socketActivate([], [path], ['--idle-timeout=0.2'])
  t.teardown(() => activator.stop())
  t.equal((await get({ socketPath: path }, '/healthz')).status, 200)
  const exitCode = await new Promise((done) => activator.child.once('exit', done))
  t.equal(exitCode, 0, 'exited when idle')
  t.ok(existsSync(path), 'the path is still there for the next start')
})
