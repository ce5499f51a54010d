export const n = (value: number) => value.toLocaleString('en-US')

export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?'
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  const h = Math.floor(s / 3600)
  return h < 48
    ? `${h}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
    : `${Math.round(h / 24)} days`
}

export const counts = (byKey: Record<string, number>) =>
  Object.entries(byKey)
    .sort(([, a], [, b]) => b - a)
    .map(([k, v]) => `${k}: ${n(v)}`)
    .join(', ')

/** A fixed-width text table: one header row, left-aligned columns, numbers right-aligned. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => /^[\d,./ %-]*$/.test(r[i] ?? '')))
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd()
  return [line(header), ...rows.map(line)].join('\n')
}
