import t from 'tap'
import { activationError, DicerollError, EXIT, formatFatal, listenError, usageError } from '../src/errors.js'

t.test('every error has a stable code and its exit code', async (t) => {
  t.match(usageError('unknown flag --x'), { name: 'DicerollError', code: 'DICEROLL_ERR_USAGE', exitCode: 2, message: 'unknown flag --x; run diceroll --help for the flags' })
  t.match(activationError('no fds'), { code: 'DICEROLL_ERR_ACTIVATION', exitCode: 6, message: 'no fds' })
  t.same(Object.values(EXIT), [0, 1, 2, 6, 10, 11, 12], 'exit codes documented in docs/activation.md')
})

t.test('listen errors say how to fix the common causes', async (t) => {
  const cause = (code: string | undefined, message: string) => Object.assign(new Error(message), code === undefined ? {} : { code })
  t.equal(listenError('127.0.0.1:80', cause('EACCES', 'x')).message, 'cannot listen on 127.0.0.1:80: permission denied: ports below 1024 need privileges, choose --port above 1023')
  t.equal(listenError('192.0.2.1:5000', cause('EADDRNOTAVAIL', 'x')).message, 'cannot listen on 192.0.2.1:5000: no such local address: choose a --host this machine has, e.g. 127.0.0.1')
  t.equal(listenError('h:1', cause('EWHATEVER', 'listen EWHATEVER')).message, 'cannot listen on h:1: listen EWHATEVER')
  t.equal(listenError('h:1', cause(undefined, 'odd')).exitCode, 10)
})

t.test('formatFatal: one line for ours, the stack for a bug', async (t) => {
  t.same(formatFatal(new DicerollError('DICEROLL_ERR_X', 'what and how', EXIT.USAGE)), { line: 'diceroll: what and how [DICEROLL_ERR_X]', exitCode: 2, priority: 3 })
  const bug = formatFatal(new TypeError('x is undefined'))
  t.equal(bug.exitCode, 1)
  t.equal(bug.priority, 2, 'crit on the journal, as pino\'s fatal')
  t.match(bug.line, /^diceroll: internal error, please report it: TypeError: x is undefined\n\s+at /)
  t.same(formatFatal('thrown string'), { line: 'diceroll: internal error, please report it: thrown string', exitCode: 1, priority: 2 })
})
