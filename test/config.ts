import t from 'tap'
import { parseConfig, USAGE } from '../src/config.js'

const defaults = {
  mode: 'auto', host: '127.0.0.1', port: 5000, idleTimeoutMs: 0, requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5000, stopTimeoutMs: 10_000, logLevel: 'info', fdStoreMax: 0, help: false,
}

t.test('defaults', async (t) => {
  t.same(parseConfig([], {}), defaults)
})

t.test('flags in both spellings, seconds to milliseconds', async (t) => {
  t.same(parseConfig(['--mode=listener', '--host', '::1', '--port=8080', '--idle-timeout=0.25', '--request-timeout', '2', '--log-level=debug'], {}), {
    ...defaults, mode: 'listener', host: '::1', port: 8080, idleTimeoutMs: 250, requestTimeoutMs: 2000, logLevel: 'debug',
  })
  t.same(parseConfig(['--help'], {}), { ...defaults, help: true })
  t.same(parseConfig(['--keep-alive-timeout=2', '--stop-timeout', '0.5'], {}), { ...defaults, keepAliveTimeoutMs: 2000, stopTimeoutMs: 500 })
})

t.test('HOST and PORT from the environment, flags win', async (t) => {
  t.same(parseConfig([], { HOST: '0.0.0.0', PORT: '7000' }), { ...defaults, host: '0.0.0.0', port: 7000 })
  t.same(parseConfig(['--port=7001', '--host=::'], { HOST: '0.0.0.0', PORT: '7000' }), { ...defaults, host: '::', port: 7001 })
  t.same(parseConfig(['--port=0'], {}), { ...defaults, port: 0 })
})

t.test('the fd store size: FDSTORE from systemd >= 254 wins over the unit\'s DICEROLL_FDSTORE', async (t) => {
  t.equal(parseConfig([], { DICEROLL_FDSTORE: '512' }).fdStoreMax, 512)
  t.equal(parseConfig([], { FDSTORE: '8', DICEROLL_FDSTORE: '512' }).fdStoreMax, 8)
  t.equal(parseConfig([], { FDSTORE: '0', DICEROLL_FDSTORE: '512' }).fdStoreMax, 0)
})

t.test('every bad input names the flag or variable and the fix', async (t) => {
  const cases: [string[], Record<string, string>, string][] = [
    [['--mode=inetd'], {}, '--mode=inetd is not valid: use one of auto, standalone, listener, per-connection'],
    [['--port=65536'], {}, '--port=65536 is not a port: give a whole number from 0 to 65535 (0 picks a free port)'],
    [['--port=http'], {}, '--port=http is not a port: give a whole number from 0 to 65535 (0 picks a free port)'],
    [[], { PORT: '-1' }, 'PORT=-1 is not a port: give a whole number from 0 to 65535 (0 picks a free port)'],
    [[], { HOST: '' }, 'HOST="" is not a host: give an address such as 127.0.0.1, ::1 or 0.0.0.0'],
    [['--host=a b'], {}, '--host="a b" is not a host: give an address such as 127.0.0.1, ::1 or 0.0.0.0'],
    [['--idle-timeout=-5'], {}, '--idle-timeout=-5 is not valid: give a number of seconds, 0 or more, e.g. --idle-timeout=60'],
    [['--idle-timeout=1m'], {}, '--idle-timeout=1m is not valid: give a number of seconds, 0 or more, e.g. --idle-timeout=60'],
    [['--request-timeout=0'], {}, '--request-timeout=0 is not valid: give a number of seconds greater than 0, e.g. --request-timeout=10'],
    [['--keep-alive-timeout=0'], {}, '--keep-alive-timeout=0 is not valid: give a number of seconds greater than 0, e.g. --keep-alive-timeout=10'],
    [['--stop-timeout=soon'], {}, '--stop-timeout=soon is not valid: give a number of seconds greater than 0, e.g. --stop-timeout=10'],
    [['--log-level=loud'], {}, '--log-level=loud is not valid: use one of fatal, error, warn, info, debug, trace, silent'],
    [[], { DICEROLL_FDSTORE: 'yes' }, "DICEROLL_FDSTORE=yes is not valid: give the unit's FileDescriptorStoreMax=, a whole number (0 = no fd store)"],
    [[], { FDSTORE: '-1' }, "FDSTORE=-1 is not valid: give the unit's FileDescriptorStoreMax=, a whole number (0 = no fd store)"],
    [['--verbose'], {}, 'unknown flag --verbose'],
    [['serve'], {}, 'unexpected argument "serve": diceroll takes only --flags'],
    [['--port'], {}, '--port needs a value, e.g. --port=5000'],
    [['--mode', '--port=1'], {}, '--mode needs a value, e.g. --mode=listener'],
    [['--port=1', '--port=2'], {}, '--port is given twice: keep one'],
    [['--help=yes'], {}, '--help takes no value'],
  ]
  for (const [argv, env, message] of cases) {
    t.throws(() => parseConfig(argv, env), { code: 'DICEROLL_ERR_USAGE', exitCode: 2, message: `${message}; run diceroll --help for the flags` }, argv.join(' '))
  }
})

t.test('the usage text lists every flag', async (t) => {
  for (const flag of ['--mode', '--host', '--port', '--idle-timeout', '--request-timeout', '--keep-alive-timeout', '--stop-timeout', '--log-level', '--help']) {
    t.match(USAGE, flag)
  }
})
