import { n } from './format.js'

const DAY_MS = 86_400_000

/**
 * One row per UTC day from the first to the last, empty days included, so a gap in the data shows
 * as a blank bar. `█` = loaded, `░` = staged but not loaded yet.
 */
export function dayChart(byDay: Record<string, { staged: number; loaded: number }>, width = 40): string {
  const days = Object.keys(byDay).sort()
  const first = days[0]
  const last = days[days.length - 1]
  if (!first || !last) return '  (no events staged yet)'
  const max = Math.max(1, ...Object.values(byDay).map((d) => d.staged))
  const rows: string[] = []
  for (let t = Date.parse(`${first}T00:00:00Z`); t <= Date.parse(`${last}T00:00:00Z`); t += DAY_MS) {
    const day = new Date(t).toISOString().slice(0, 10)
    const d = byDay[day] ?? { staged: 0, loaded: 0 }
    const loaded = Math.round((d.loaded / max) * width)
    const staged = Math.max(0, Math.round((d.staged / max) * width) - loaded)
    const bar = d.staged === 0 ? '·' : `${'█'.repeat(loaded)}${'░'.repeat(staged)}` || '▏'
    const label =
      d.staged === 0 ? 'no events' : d.loaded === d.staged ? n(d.loaded) : `${n(d.loaded)}/${n(d.staged)}`
    rows.push(`  ${day} ${bar.padEnd(width)} ${label}`)
  }
  return rows.join('\n')
}
