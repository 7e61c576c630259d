// Small statistics helpers: the benchmark reports medians and ranges, never means of noise.

export function quantile(values, q) {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[index]
}

export const median = (values) => quantile(values, 0.5)

export function range(values) {
  return values.length === 0 ? [NaN, NaN] : [Math.min(...values), Math.max(...values)]
}

/** "31.2 (29.8–35.0)": median and min–max of per-round figures. */
export function fmtRange(values, digits = 1) {
  const [low, high] = range(values)
  return `${fmt(median(values), digits)} (${fmt(low, digits)}–${fmt(high, digits)})`
}

/** "31.2 (29.8–35.0)": a figure over all samples, and the min–max of the per-round figures. */
export function fmtWithRange(value, roundValues, digits = 1) {
  const [low, high] = range(roundValues)
  return `${fmt(value, digits)} (${fmt(low, digits)}–${fmt(high, digits)})`
}

export function fmt(value, digits = 1) {
  if (value === undefined || Number.isNaN(value)) return '–'
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

/** Rotates a list by n, so interleaved rounds don't always run the same variant first. */
export function rotate(list, n) {
  const k = n % list.length
  return [...list.slice(k), ...list.slice(0, k)]
}

/** A markdown table: the first column left-aligned, the others right-aligned. */
export const table = (head, rows) => [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n')
