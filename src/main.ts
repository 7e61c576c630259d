#!/usr/bin/env node
// Entry point: parse the configuration, read the activation environment, pick the transport,
// serve, and stop cleanly on SIGTERM/SIGINT.
import type { Server } from 'node:net'
import { listenFds } from './activation.js'
import { buildApp } from './app.js'
import { parseConfig, USAGE, type Config } from './config.js'
import { EXIT, formatFatal, type ExitCode } from './errors.js'
import { probeFd } from './fd-probe.js'
import { createLogger } from './logger.js'
import { planMode } from './mode.js'
import { serveListeners } from './transports/listener.js'
import { serveConnection } from './transports/per-connection.js'
import { serveStandalone } from './transports/standalone.js'

async function main(): Promise<ExitCode | undefined> {
  const config = parseConfig(process.argv.slice(2), process.env)
  if (config.help) {
    // The one write to stdout: asked for by a person at a terminal, never by a socket.
    process.stdout.write(USAGE)
    return EXIT.OK
  }
  const activation = listenFds(process.env, process.pid)
  const plan = planMode(config.mode, activation, probeFd)
  const logger = createLogger(config.logLevel, { mode: plan.mode })
  const perConnection = plan.mode === 'per-connection'
  const app = buildApp({
    logger,
    closeEachConnection: perConnection,
    requestTimeoutMs: config.requestTimeoutMs,
    ...(perConnection && process.env.REMOTE_ADDR ? { remoteAddress: process.env.REMOTE_ADDR } : {}),
  })
  await app.ready()

  if (plan.mode === 'per-connection') {
    return serveConnection(app, plan.fd, config.requestTimeoutMs)
  }
  const acceptors = plan.mode === 'listener'
    ? await serveListeners(app, plan.fds)
    : await serveStandalone(app, config.host, config.port)
  stopOnSignals(config, acceptors, () => app.close())
  return undefined
}

function stopOnSignals(config: Config, acceptors: Server[], closeApp: () => Promise<unknown>): void {
  const stop = (): void => {
    for (const acceptor of acceptors) acceptor.close()
    closeApp().then(() => process.exit(EXIT.OK), fail)
  }
  void config
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}

function fail(error: unknown): never {
  const { line, exitCode } = formatFatal(error)
  process.stderr.write(`${line}\n`)
  process.exit(exitCode)
}

main().then((exitCode) => {
  if (exitCode !== undefined) process.exit(exitCode)
}, fail)
