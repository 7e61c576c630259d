// main(): parse the configuration, read the activation environment, pick the transport, serve,
// and stop cleanly on SIGTERM/SIGINT, then exit with the code. The bin file (main.ts) calls it
// with nothing prepared; a start from the startup snapshot (snapshot/entry.ts) with the app the
// snapshot built ahead of time.
import { listenFds } from './systemd/activation.js'
import { buildApp, type Prebuilt } from './app.js'
import { parseConfig, USAGE } from './config.js'
import { EXIT, formatFatal, type ExitCode } from './errors.js'
import { fdProbe } from './systemd/fd-kind.js'
import { createFdStore, takeStored } from './systemd/fd-store.js'
import { Lifecycle } from './lifecycle.js'
import { createLogger, journalLines } from './logger.js'
import { planMode } from './systemd/mode.js'
import { createNotifier } from './systemd/notify.js'
import { openUrandom } from './random.js'
import { withSlowStartStatus } from './start-report.js'
import { serveListeners } from './transports/listener.js'
import { serveConnection } from './transports/per-connection.js'
import { serveStandalone } from './transports/standalone.js'

export function main(prebuilt?: Prebuilt): void {
  run(prebuilt).then((exitCode) => process.exit(exitCode), fail)
}

async function run(prebuilt: Prebuilt | undefined): Promise<ExitCode> {
  const config = parseConfig(process.argv.slice(2), process.env)
  if (config.help) {
    // The one write to stdout: asked for by a person at a terminal, never by a socket.
    process.stdout.write(USAGE)
    return EXIT.OK
  }
  const activation = listenFds(process.env, process.pid)
  const probe = fdProbe(process.env.DICEROLL_NOTIFY_ADDON)
  const plan = planMode(config.mode, activation, probe)
  const logger = createLogger(config.logLevel, { mode: plan.mode }, plan.mode !== 'per-connection')
  const perConnection = plan.mode === 'per-connection'
  openUrandom()
  const app = buildApp({
    logger,
    closeEachConnection: perConnection,
    requestTimeoutMs: config.requestTimeoutMs,
    ...(perConnection && process.env.REMOTE_ADDR ? { remoteAddress: process.env.REMOTE_ADDR } : {}),
  }, prebuilt)
  await app.ready()

  if (plan.mode === 'per-connection') {
    const stop = new AbortController()
    onStopSignals(() => stop.abort())
    return serveConnection(app, plan, config.requestTimeoutMs, { signal: stop.signal, timeoutMs: config.stopTimeoutMs }, probe)
  }
  const notifier = withSlowStartStatus(createNotifier(process.env, process.pid, logger))
  const lifecycle = new Lifecycle(app, {
    notifier,
    idleTimeoutMs: plan.mode === 'listener' ? config.idleTimeoutMs : 0,
    keepAliveTimeoutMs: config.keepAliveTimeoutMs,
    stopTimeoutMs: config.stopTimeoutMs,
    // Only a unit's main process has a store: standalone drains.
    fdStore: plan.mode === 'listener' ? createFdStore(notifier, config.fdStoreMax, process.pid, logger) : undefined,
  })
  onStopSignals((name) => lifecycle.signal(name))
  if (plan.mode === 'listener') {
    const acceptors = await serveListeners(app, plan.fds)
    takeStored(app, plan.stored, notifier, logger, process.env.DICEROLL_NOTIFY_ADDON)
    lifecycle.serving(acceptors)
  } else {
    lifecycle.serving(await serveStandalone(app, config.host, config.port))
  }
  return lifecycle.done
}

/** systemctl stop sends SIGTERM; Ctrl-C sends SIGINT: both stop gracefully (docs/lifecycle.md). */
function onStopSignals(stop: (name: NodeJS.Signals) => void): void {
  for (const name of ['SIGTERM', 'SIGINT'] as const) process.on(name, () => stop(name))
}

function fail(error: unknown): never {
  const { line, exitCode, priority } = formatFatal(error)
  process.stderr.write(journalLines(`${line}\n`, priority))
  process.exit(exitCode)
}
