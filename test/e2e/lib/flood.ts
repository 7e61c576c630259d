// A flood of connections on the per-connection socket (run by guest/flood.mjs inside the VM),
// described by systemd's own counters, its journal and samples of the instance cgroups.
import { GUEST_SRC, instances, journalAfter, journalCursor, show, waitFor } from './guest.js'
import type { Vm } from './vm.js'

export interface FloodResult {
  attempted: number, answered: number, closedEmpty: number, other: number
  accepted: number, refused: number, peakConnections: number, peakInstances: number
  /** How instances ended badly, from "Failed with result '…'", e.g. { timeout: 3 }. */
  failed: Record<string, number>
}

const SAMPLE = 'while :; do echo "$(systemctl show -p NConnections --value diceroll.socket)' +
  ' $(ls -d /sys/fs/cgroup/system.slice/system-diceroll.slice/diceroll@* 2>/dev/null | wc -l)"; sleep 0.2; done'

export async function flood(vm: Vm, port: number, perAddress: number, sources: string[]): Promise<FloodResult> {
  const counters = async (): Promise<[number, number]> => {
    const c = await show(vm, 'diceroll.socket', 'NAccepted', 'NRefused')
    return [Number(c.NAccepted), Number(c.NRefused)]
  }
  const [accepted0, refused0] = await counters()
  const cursor = await journalCursor(vm)
  const client = await vm.sh(`(${SAMPLE}) > /run/e2e-samples & P=$!; ` +
    `node ${GUEST_SRC}/test/e2e/guest/flood.mjs ${port} ${perAddress} ${sources.join(' ')}; kill $P`)
  if (!await waitFor(120, async () => (await instances(vm)).length === 0)) throw new Error('instances left 120 s after the flood')
  const [accepted, refused] = await counters()
  const samples = (await vm.sh('cat /run/e2e-samples')).split('\n').map((line) => line.split(' ').map(Number))
  const failed: Record<string, number> = {}
  const journal = await journalAfter(vm, cursor, "-u 'diceroll@*'")
  for (const [, reason = ''] of journal.matchAll(/Failed with result '([^']+)'/g)) failed[reason] = (failed[reason] ?? 0) + 1
  return {
    ...JSON.parse(client) as Pick<FloodResult, 'attempted' | 'answered' | 'closedEmpty' | 'other'>,
    accepted: accepted - accepted0,
    refused: refused - refused0,
    peakConnections: Math.max(0, ...samples.map((s) => s[0] ?? 0)),
    peakInstances: Math.max(0, ...samples.map((s) => s[1] ?? 0)),
    failed,
  }
}
