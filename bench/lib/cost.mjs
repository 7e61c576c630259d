// The cost model: CPU-seconds and memory (MB·s) per day as a function of the request rate,
// from the measured figures, for per-connection, an always-on listener, and a listener that
// exits after IDLE_S seconds without requests (re-started by the socket on the next one).
// Requests are assumed to arrive at random (Poisson): with an idle exit after T seconds the
// process is up a fraction 1 − e^(−rT) of the time and starts r·e^(−rT) times per second.

export const DAY = 86_400
export const IDLE_S = 60

/**
 * pc: { latencyMs, cpuMs, rssMb } of one per-connection instance;
 * li: { coldMs, coldCpuMs, rssMb, cpuMs } of a listener (rssMb after load, cpuMs per warm request).
 */
export function models(pc, li) {
  return {
    perConnection: (r) => ({ cpu: (r * DAY * pc.cpuMs) / 1000, mem: r * DAY * pc.rssMb * (pc.latencyMs / 1000) }),
    alwaysOn: (r) => ({ cpu: (r * DAY * li.cpuMs + li.coldCpuMs) / 1000, mem: li.rssMb * DAY }),
    idleExit: (r) => {
      const up = 1 - Math.exp(-r * IDLE_S)
      const starts = r * DAY * Math.exp(-r * IDLE_S)
      return {
        cpu: (starts * li.coldCpuMs + r * DAY * li.cpuMs) / 1000,
        mem: DAY * up * li.rssMb + starts * (li.coldMs / 1000) * li.rssMb,
      }
    },
  }
}

/** The highest request rate (per second) the model looks at. */
export const TOP_RATE = 100

/** Request rates (per second) on a log grid, 1 per day … TOP_RATE. */
export function rateGrid(points = 200) {
  const low = Math.log10(1 / DAY)
  const high = Math.log10(TOP_RATE)
  return Array.from({ length: points }, (_, i) => 10 ** (low + ((high - low) * i) / (points - 1)))
}

/** Rates where a(r) − b(r) changes sign, for cost `key` ('cpu' or 'mem'). */
export function crossovers(a, b, key) {
  const found = []
  const grid = rateGrid(2000)
  let previous = Math.sign(a(grid[0])[key] - b(grid[0])[key])
  for (const r of grid.slice(1)) {
    const sign = Math.sign(a(r)[key] - b(r)[key])
    if (sign !== 0 && previous !== 0 && sign !== previous) found.push(r)
    if (sign !== 0) previous = sign
  }
  return found
}

/** "1 every 3.2 min" / "4.1 per s": a rate a person can picture. */
export function describeRate(r) {
  if (r >= 1) return `${r.toFixed(r >= 10 ? 0 : 1)}/s`
  const every = 1 / r
  if (every < 60) return `1 every ${every.toFixed(1)} s`
  if (every < 3600) return `1 every ${(every / 60).toFixed(1)} min`
  if (every < DAY) return `1 every ${(every / 3600).toFixed(1)} h`
  return `${(r * DAY).toFixed(1)}/day`
}

export const SAMPLE_RATES = [
  { label: '100/day', r: 100 / DAY },
  { label: '1/min', r: 1 / 60 },
  { label: '1/s', r: 1 },
  { label: '10/s', r: 10 },
]
