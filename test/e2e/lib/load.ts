// Steady load inside the guest (guest/load.mjs), started in the background and stopped on demand:
// the clients run next to the service, so what they see is the service, not QEMU's port forward.
import { GUEST_SRC, waitFor } from './guest.js'
import type { Vm } from './vm.js'

export interface ClientTally {
  requests: number, ok: number, failed: number, errors: Record<string, number>
  /** The longest a request waited for its answer, and when it was sent (seconds into the load). */
  maxWaitMs: number, maxWaitAtS: number
}
export interface LoadReport {
  seconds: number, requests: number, ok: number, failed: number
  /** By "PORT keep-alive" and "PORT new-connection". */
  clients: Record<string, ClientTally>
}
export interface LoadSpec {
  port: number, keepAlive: number, newConnection: number
  /** Each client pauses up to this long between requests (default 40 ms). */
  pauseMs?: number
}

const RUN = '/run/e2e-load'

export async function startLoad(vm: Vm, specs: LoadSpec[]): Promise<{ stop: () => Promise<LoadReport> }> {
  const args = specs.map((s) => `${s.port}:${s.keepAlive}:${s.newConnection}:${s.pauseMs ?? 40}`).join(' ')
  await vm.sh(`rm -rf ${RUN} && mkdir ${RUN} && ` +
    // Nothing of it may hold ssh's stdout or stderr, or the command would wait for the load to end.
    `setsid -f sh -c 'node ${GUEST_SRC}/test/e2e/guest/load.mjs ${RUN}/stop ${args} > ${RUN}/out.json 2> ${RUN}/err.txt; touch ${RUN}/done' < /dev/null > /dev/null 2>&1`)
  return {
    async stop() {
      await vm.sh(`touch ${RUN}/stop`)
      if (!await waitFor(90, async () => (await vm.ssh(`test -e ${RUN}/done`)).code === 0)) throw new Error('the load did not end 90 s after it was told to')
      const out = await vm.sh(`cat ${RUN}/out.json ${RUN}/err.txt`)
      try {
        return JSON.parse(out.split('\n')[0] ?? '') as LoadReport
      } catch {
        throw new Error(`guest/load.mjs said: ${out}`)
      }
    },
  }
}

/** "12 ok, 0 failed (5000 keep-alive 6/0, ...)" */
export function describe(report: LoadReport): string {
  const each = Object.entries(report.clients).map(([name, c]) => `${name} ${c.ok}/${c.failed}`).join(', ')
  const errors = Object.entries(report.clients).flatMap(([name, c]) => Object.entries(c.errors).map(([e, n]) => `${name}: ${n}× ${e}`))
  return `${report.ok} ok, ${report.failed} failed in ${report.seconds.toFixed(0)} s (ok/failed: ${each})${errors.length ? `; ${errors.join('; ')}` : ''}`
}
