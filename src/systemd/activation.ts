// The sd_listen_fds(3) contract: which file descriptors systemd passed to this process, and
// their names. Pure apart from the env object it is handed, so every corner is testable.
import type { Env } from '../config.js'
import { activationError } from '../errors.js'

/** Passed fds start here (SD_LISTEN_FDS_START). */
export const SD_LISTEN_FDS_START = 3

/**
 * More than any real .socket unit passes (and than the 1024 fds a service may open by default):
 * without a bound, LISTEN_FDS=1000000000 built a billion-entry list, gigabytes of it, before it
 * ever looked at fd 3.
 */
export const MAX_LISTEN_FDS = 1024

export const ACTIVATION_ENV = ['LISTEN_FDS', 'LISTEN_PID', 'LISTEN_FDNAMES', 'LISTEN_PIDFDID'] as const

export interface ListenFd {
  fd: number
  /** From LISTEN_FDNAMES (FileDescriptorName=); "unknown" when systemd gave no names. */
  name: string
}

export interface Activation {
  fds: ListenFd[]
  /** Why there are no fds, in words a person can act on; undefined when fds were passed. */
  whyNone?: string
  /** True when some LISTEN_* variable was present, even if the fds were not for us. */
  envPresent: boolean
}

/**
 * Reads LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES like sd_listen_fds_with_names(3):
 * a LISTEN_PID that is not ours means "no fds" (not an error); malformed values throw.
 * With unsetEnv the variables are removed from env, so child processes don't inherit them.
 */
export function listenFds(env: Env, pid: number, unsetEnv = true): Activation {
  try {
    return readListenFds(env, pid)
  } finally {
    if (unsetEnv) for (const name of ACTIVATION_ENV) delete env[name]
  }
}

function readListenFds(env: Env, pid: number): Activation {
  const { LISTEN_PID: pidText, LISTEN_FDS: countText, LISTEN_FDNAMES: namesText } = env
  const envPresent = pidText !== undefined || countText !== undefined || namesText !== undefined
  if (pidText === undefined) {
    const whyNone = countText === undefined
      ? 'LISTEN_FDS is not set: this process was not socket-activated (start it through a .socket unit or systemd-socket-activate)'
      : `LISTEN_FDS=${countText} is set but LISTEN_PID is not: the fds are not addressed to any process; both are set by systemd, do not set them by hand`
    return { fds: [], whyNone, envPresent }
  }
  if (!/^[1-9]\d*$/.test(pidText)) {
    throw activationError(`LISTEN_PID=${pidText} is not a process id: it must be set by systemd to the pid of the activated process`)
  }
  if (Number(pidText) !== pid) {
    return {
      fds: [],
      whyNone: `LISTEN_PID=${pidText} is not our pid ${pid}: is the service started through a wrapper such as npm or a shell? Exec node directly in ExecStart=`,
      envPresent,
    }
  }
  if (countText === undefined) {
    return { fds: [], whyNone: `LISTEN_PID=${pidText} is set but LISTEN_FDS is not: no fds were passed`, envPresent }
  }
  if (!/^\d+$/.test(countText)) {
    throw activationError(`LISTEN_FDS=${countText} is not a number of file descriptors: it must be set by systemd (or systemd-socket-activate), not by hand`)
  }
  const count = Number(countText)
  if (count > MAX_LISTEN_FDS) {
    throw activationError(`LISTEN_FDS=${countText} is more file descriptors than diceroll takes (at most ${MAX_LISTEN_FDS}): it must be set by systemd (or systemd-socket-activate), not by hand`)
  }
  if (count === 0) {
    return { fds: [], whyNone: 'LISTEN_FDS=0: systemd passed no sockets; check ListenStream= in the .socket unit', envPresent }
  }
  const names = namesText === undefined ? [] : namesText.split(':')
  if (namesText !== undefined && names.length !== count) {
    throw activationError(`LISTEN_FDNAMES="${namesText}" has ${names.length} names but LISTEN_FDS=${count}: there must be one name per fd`)
  }
  const fds: ListenFd[] = []
  for (let i = 0; i < count; i++) {
    fds.push({ fd: SD_LISTEN_FDS_START + i, name: names[i] || 'unknown' })
  }
  return { fds, envPresent }
}

/** The passed fds with this name (FileDescriptorName=), in the order systemd passed them. */
export function fdsNamed(activation: Activation, name: string): ListenFd[] {
  return activation.fds.filter((entry) => entry.name === name)
}
