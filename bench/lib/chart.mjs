// docs/benchmarks.svg: what a person looks at first. Top: milliseconds per request in the
// per-connection model, every step and the floors (bars: latency p50; marks: CPU). Bottom: the
// cost model's CPU and memory per day against the request rate, on log scales.
import { writeFileSync } from 'node:fs'
import { DAY, IDLE_S, models, rateGrid } from './cost.mjs'
import { costInputs, figures } from './figures.mjs'

const W = 960
const COLORS = { diceroll: '#2563eb', flask: '#dc2626', floor: '#6b7280', step: '#93c5fd', cpu: '#111827' }
const esc = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/`/g, '')

export function chart(results, file) {
  const f = figures(results)
  const out = []
  const top = bars(f, results, 40)
  out.push(top.svg)
  const y = top.height + 70
  const lines = costLines(f)
  out.push(logPlot({ x: 60, y, w: 400, h: 260, title: 'CPU-seconds per day', series: lines.map((s) => ({ ...s, pick: (c) => c.cpu })) }))
  out.push(logPlot({ x: 540, y, w: 400, h: 260, title: 'Memory, MB·s per day', series: lines.map((s) => ({ ...s, pick: (c) => c.mem })) }))
  out.push(legend(lines, 60, y + 310))
  const height = y + 340 + Math.ceil(lines.length / 3) * 18
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${height}" width="${W}" height="${height}" font-family="system-ui, sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="20" y="24" font-size="16" font-weight="bold">diceroll: per-connection vs listener (${esc(process.version)}, ${new Date().toISOString().slice(0, 10)}, npm run bench)</text>
${out.join('\n')}
</svg>
`
  writeFileSync(file, svg)
}

function bars(f, results, y0) {
  const rows = [{ label: 'node -e 0 (process start)', p50: f.nodeMs, color: COLORS.floor }]
  for (const v of results.pcList) {
    const p = f.perConnection[v.key]
    const color = v.key === 'diceroll' ? COLORS.diceroll : v.key === 'flask' ? COLORS.flask : v.key === 'net' || v.key === 'httpOnce' ? COLORS.floor : COLORS.step
    rows.push({ label: v.short ?? v.label, p50: p.p50, cpu: p.cpuMs, color })
  }
  const coldFirst = f.listenerCold.diceroll?.firstMs
  if (coldFirst) rows.push({ label: 'listener: cold first response', p50: coldFirst, color: COLORS.diceroll, cpu: f.listenerCold.diceroll.cpuMs })
  const labelW = 300
  const plotW = W - labelW - 90
  const max = Math.max(...rows.map((r) => Math.max(r.p50, r.cpu ?? 0))) * 1.08
  const sx = (ms) => labelW + (ms / max) * plotW
  const rowH = 20
  const out = [`<text x="20" y="${y0 + 14}" font-weight="bold">Per-connection (Accept=yes): ms per request, one process each — bar: latency p50, black tick: CPU ms</text>`]
  const top = y0 + 26
  rows.forEach((r, i) => {
    const y = top + i * rowH
    out.push(`<text x="${labelW - 8}" y="${y + 13}" text-anchor="end">${esc(r.label)}</text>`)
    out.push(`<rect x="${labelW}" y="${y + 3}" width="${Math.max(1, sx(r.p50) - labelW).toFixed(1)}" height="${rowH - 6}" fill="${r.color}"/>`)
    out.push(`<text x="${(sx(r.p50) + 4).toFixed(1)}" y="${y + 13}">${r.p50.toFixed(1)} ms</text>`)
    if (r.cpu !== undefined) out.push(`<rect x="${(sx(r.cpu) - 1).toFixed(1)}" y="${y + 1}" width="2.5" height="${rowH - 2}" fill="${COLORS.cpu}"/>`)
  })
  const goal = sx(1.5 * f.nodeMs)
  const bottom = top + rows.length * rowH
  out.push(`<line x1="${goal.toFixed(1)}" x2="${goal.toFixed(1)}" y1="${top - 4}" y2="${bottom}" stroke="#16a34a" stroke-dasharray="4 3"/>`)
  out.push(`<text x="${(goal + 3).toFixed(1)}" y="${bottom + 12}" fill="#16a34a">goal: 1.5× node -e 0</text>`)
  return { svg: out.join('\n'), height: bottom + 12 - y0 }
}

function costLines(f) {
  const lines = []
  for (const [key, name, color] of [['diceroll', 'diceroll', COLORS.diceroll], ['flask', 'Flask', COLORS.flask]]) {
    const inputs = costInputs(f, key)
    if (!inputs) continue
    const m = models(inputs.pc, inputs.li)
    lines.push({ label: `${name} per-connection`, color, dash: '', model: m.perConnection })
    lines.push({ label: `${name} listener, always on`, color, dash: '6 4', model: m.alwaysOn })
    lines.push({ label: `${name} listener, idle exit ${IDLE_S} s`, color, dash: '2 3', model: m.idleExit })
  }
  return lines
}

function logPlot({ x, y, w, h, title, series }) {
  const rates = rateGrid(120)
  const values = series.flatMap((s) => rates.map((r) => s.pick(s.model(r)))).filter((v) => v > 0)
  const [xmin, xmax] = [Math.log10(rates[0]), Math.log10(rates.at(-1))]
  const ymin = Math.floor(Math.log10(Math.min(...values)))
  const ymax = Math.ceil(Math.log10(Math.max(...values)))
  const px = (r) => x + ((Math.log10(r) - xmin) / (xmax - xmin)) * w
  const py = (v) => y + h - ((Math.log10(Math.max(v, 10 ** ymin)) - ymin) / (ymax - ymin)) * h
  const out = [`<text x="${x}" y="${y - 10}" font-weight="bold">${esc(title)} vs requests per second</text>`]
  out.push(`<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="none" stroke="#d1d5db"/>`)
  for (let e = ymin; e <= ymax; e++) {
    out.push(`<line x1="${x}" x2="${x + w}" y1="${py(10 ** e)}" y2="${py(10 ** e)}" stroke="#f3f4f6"/>`)
    out.push(`<text x="${x - 4}" y="${py(10 ** e) + 4}" text-anchor="end" font-size="10">1e${e}</text>`)
  }
  for (const [r, label] of [[1 / DAY, '1/day'], [1 / 3600, '1/h'], [1 / 60, '1/min'], [1, '1/s'], [100, '100/s']]) {
    out.push(`<line x1="${px(r)}" x2="${px(r)}" y1="${y}" y2="${y + h}" stroke="#f3f4f6"/>`)
    out.push(`<text x="${px(r)}" y="${y + h + 14}" text-anchor="middle" font-size="10">${label}</text>`)
  }
  for (const s of series) {
    const points = rates.map((r) => `${px(r).toFixed(1)},${py(s.pick(s.model(r))).toFixed(1)}`).join(' ')
    out.push(`<polyline points="${points}" fill="none" stroke="${s.color}" stroke-width="2" stroke-dasharray="${s.dash}"/>`)
  }
  return out.join('\n')
}

function legend(lines, x, y) {
  return lines.map((s, i) => {
    const lx = x + (i % 3) * 300
    const ly = y + Math.floor(i / 3) * 18
    return `<line x1="${lx}" x2="${lx + 28}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2" stroke-dasharray="${s.dash}"/><text x="${lx + 34}" y="${ly}">${esc(s.label)}</text>`
  }).join('\n')
}
