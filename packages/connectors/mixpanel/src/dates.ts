/** Calendar-day arithmetic on `YYYY-MM-DD` labels, and wall-clock conversion for a project time zone. */

const DAY_MS = 86_400_000

export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10)
}

/** Days from `a` to `b` inclusive (1 when equal). */
export function daysInclusive(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / DAY_MS) + 1
}

const formatters = new Map<string, Intl.DateTimeFormat>()
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
    formatters.set(timeZone, f)
  }
  return f
}

/** Offset of `timeZone` from UTC at the instant `utcMs`, in ms (e.g. -7 h for Los Angeles in summer). */
export function zoneOffsetMs(timeZone: string, utcMs: number): number {
  if (timeZone === 'UTC') return 0
  const parts: Record<string, number> = {}
  for (const p of formatter(timeZone).formatToParts(new Date(utcMs))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value)
  }
  const wall = Date.UTC(
    parts.year ?? 1970,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  )
  const seconds = Math.floor(utcMs / 1000) * 1000
  return wall - seconds
}

/**
 * Pre-2023 Mixpanel projects store `time` as the project's wall clock written as if it were UTC.
 * Find the real instant: subtract the offset in force at that wall time (DST-aware; in the repeated
 * autumn hour the earlier instant wins, a choice Mixpanel's data cannot disambiguate anyway).
 */
export function wallClockToUtc(wallMs: number, timeZone: string): number {
  if (timeZone === 'UTC') return wallMs
  const first = wallMs - zoneOffsetMs(timeZone, wallMs)
  const second = wallMs - zoneOffsetMs(timeZone, first)
  return Math.min(first, second)
}

export function utcToWallClock(utcMs: number, timeZone: string): number {
  return utcMs + zoneOffsetMs(timeZone, utcMs)
}

/** The calendar day of an instant in `timeZone`. */
export function dayIn(utcMs: number, timeZone: string): string {
  return new Date(utcToWallClock(utcMs, timeZone)).toISOString().slice(0, 10)
}

/** Start of `day` in `timeZone`, as a UTC instant. */
export function dayStartUtc(day: string, timeZone: string): number {
  return wallClockToUtc(Date.parse(`${day}T00:00:00Z`), timeZone)
}

/** A config bound: a bare day, or a datetime that also bounds events inside its day. */
export interface Bound {
  day: string
  /** Set for datetimes: the exact instant (UTC ms). */
  instant?: number
}

export function parseBound(value: string, timeZone: string): Bound {
  if (value.length === 10) return { day: value }
  const instant = Date.parse(value)
  return { day: dayIn(instant, timeZone), instant }
}
