import { n } from './format.js'

const DAY_MS = 86_400_000

/** Empty days in a row beyond this many are one line: a stray event years early must not print 800 rows. */
const EMPTY_DAYS_SHOWN = 2

/**
 * One row per UTC day from the first to the last, so a gap in the data shows as a blank bar; a longer run
 * of empty days is one row that says how long it is. `█` = loaded, `░` = staged but not loaded yet.
 */
export function dayChart(byDay: Record<string, { staged: number; loaded: number }>, width = 40): string {
  const days = Object.keys(byDay).sort()
  const first = days[0]
  const last = days[days.length - 1]
  if (!first || !last) return '  (no events staged yet)'
  const max = Math.max(1, ...Object.values(byDay).map((d) => d.staged))
  const rows: string[] = []
  let empty: string[] = []
  const endEmptyRun = () => {
    if (empty.length > EMPTY_DAYS_SHOWN) {
      rows.push(
        `  ${empty[0]} ${'·'.padEnd(width)} no events through ${empty[empty.length - 1]} (${n(empty.length)} days)`,
      )
    } else for (const day of empty) rows.push(`  ${day} ${'·'.padEnd(width)} no events`)
    empty = []
  }
  for (let t = Date.parse(`${first}T00:00:00Z`); t <= Date.parse(`${last}T00:00:00Z`); t += DAY_MS) {
    const day = new Date(t).toISOString().slice(0, 10)
    const d = byDay[day]
    if (!d || d.staged === 0) {
      empty.push(day)
      continue
    }
    endEmptyRun()
    const loaded = Math.round((d.loaded / max) * width)
    const staged = Math.max(0, Math.round((d.staged / max) * width) - loaded)
    const bar = `${'█'.repeat(loaded)}${'░'.repeat(staged)}` || '▏'
    const label = d.loaded === d.staged ? n(d.loaded) : `${n(d.loaded)}/${n(d.staged)}`
    rows.push(`  ${day} ${bar.padEnd(width)} ${label}`)
  }
  endEmptyRun()
  return rows.join('\n')
}
