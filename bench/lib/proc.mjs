// What /proc says about a process: CPU time (own and reaped children's) and memory.
import { readFile } from 'node:fs/promises'

const TICK_MS = 10 // USER_HZ is 100 on Linux

/** CPU ms used by pid itself (utime+stime) and by its reaped children (cutime+cstime). */
export async function cpuMs(pid) {
  const stat = await readFile(`/proc/${pid}/stat`, 'latin1')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // fields[0] is field 3 (state): utime is field 14, stime 15, cutime 16, cstime 17.
  const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((i) => Number(fields[i]) * TICK_MS)
  return { self: utime + stime, children: cutime + cstime }
}

/** Resident memory now and at its peak, in MB. */
export async function rssMb(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'latin1')
  const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN)
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 }
}

/** Waits until pid has no live children (so their CPU time has been reaped into cutime). */
export async function childrenGone(pid, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const children = await readFile(`/proc/${pid}/task/${pid}/children`, 'latin1').catch(() => '')
    if (children.trim() === '') return
    await new Promise((done) => setTimeout(done, 5))
  }
}
