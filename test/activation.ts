import t from 'tap'
import { fdsNamed, listenFds, SD_LISTEN_FDS_START } from '../src/systemd/activation.js'

const PID = 4242

t.test('fds start at 3 and take their names from LISTEN_FDNAMES', async (t) => {
  const env = { LISTEN_PID: '4242', LISTEN_FDS: '3', LISTEN_FDNAMES: 'web:web6:admin', OTHER: 'kept' }
  const activation = listenFds(env, PID)
  t.equal(SD_LISTEN_FDS_START, 3)
  t.same(activation, {
    fds: [{ fd: 3, name: 'web' }, { fd: 4, name: 'web6' }, { fd: 5, name: 'admin' }],
    envPresent: true,
  })
  t.same(fdsNamed(activation, 'web6'), [{ fd: 4, name: 'web6' }])
  t.same(env, { OTHER: 'kept' }, 'the variables are unset so children do not inherit them')
})

t.test('without LISTEN_FDNAMES every fd is "unknown"; empty names too', async (t) => {
  t.same(listenFds({ LISTEN_PID: '4242', LISTEN_FDS: '2' }, PID).fds, [{ fd: 3, name: 'unknown' }, { fd: 4, name: 'unknown' }])
  t.same(listenFds({ LISTEN_PID: '4242', LISTEN_FDS: '2', LISTEN_FDNAMES: 'a:' }, PID).fds, [{ fd: 3, name: 'a' }, { fd: 4, name: 'unknown' }])
})

t.test('unsetEnv=false leaves the environment alone', async (t) => {
  const env = { LISTEN_PID: '4242', LISTEN_FDS: '1', LISTEN_FDNAMES: 'connection', LISTEN_PIDFDID: '9' }
  listenFds(env, PID, false)
  t.same(env, { LISTEN_PID: '4242', LISTEN_FDS: '1', LISTEN_FDNAMES: 'connection', LISTEN_PIDFDID: '9' })
  listenFds(env, PID)
  t.same(env, {}, 'LISTEN_PIDFDID (newer systemd) goes too')
})

t.test('no fds, not an error, with a reason a person can act on', async (t) => {
  t.same(listenFds({}, PID), {
    fds: [], envPresent: false,
    whyNone: 'LISTEN_FDS is not set: this process was not socket-activated (start it through a .socket unit or systemd-socket-activate)',
  })
  t.same(listenFds({ LISTEN_PID: '1234', LISTEN_FDS: '1' }, 5678), {
    fds: [], envPresent: true,
    whyNone: 'LISTEN_PID=1234 is not our pid 5678: is the service started through a wrapper such as npm or a shell? Exec node directly in ExecStart=',
  })
  t.same(listenFds({ LISTEN_FDS: '1' }, PID), {
    fds: [], envPresent: true,
    whyNone: 'LISTEN_FDS=1 is set but LISTEN_PID is not: the fds are not addressed to any process; both are set by systemd, do not set them by hand',
  })
  t.same(listenFds({ LISTEN_PID: '4242' }, PID), {
    fds: [], envPresent: true, whyNone: 'LISTEN_PID=4242 is set but LISTEN_FDS is not: no fds were passed',
  })
  t.same(listenFds({ LISTEN_PID: '4242', LISTEN_FDS: '0' }, PID), {
    fds: [], envPresent: true, whyNone: 'LISTEN_FDS=0: systemd passed no sockets; check ListenStream= in the .socket unit',
  })
})

t.test('malformed values are errors, and the variables are still unset', async (t) => {
  const cases: [Record<string, string>, string][] = [
    [{ LISTEN_PID: '4242', LISTEN_FDS: 'abc' }, 'LISTEN_FDS=abc is not a number of file descriptors: it must be set by systemd (or systemd-socket-activate), not by hand'],
    [{ LISTEN_PID: '4242', LISTEN_FDS: '-1' }, 'LISTEN_FDS=-1 is not a number of file descriptors: it must be set by systemd (or systemd-socket-activate), not by hand'],
    [{ LISTEN_PID: 'me', LISTEN_FDS: '1' }, 'LISTEN_PID=me is not a process id: it must be set by systemd to the pid of the activated process'],
    [{ LISTEN_PID: '0', LISTEN_FDS: '1' }, 'LISTEN_PID=0 is not a process id: it must be set by systemd to the pid of the activated process'],
    [{ LISTEN_PID: '4242', LISTEN_FDS: '2', LISTEN_FDNAMES: 'a:b:c' }, 'LISTEN_FDNAMES="a:b:c" has 3 names but LISTEN_FDS=2: there must be one name per fd'],
    [{ LISTEN_PID: '4242', LISTEN_FDS: '2', LISTEN_FDNAMES: 'a' }, 'LISTEN_FDNAMES="a" has 1 names but LISTEN_FDS=2: there must be one name per fd'],
  ]
  for (const [env, message] of cases) {
    t.throws(() => listenFds(env, PID), { code: 'DICEROLL_ERR_ACTIVATION', exitCode: 6, message }, JSON.stringify(env))
    t.same(env, {})
  }
})
