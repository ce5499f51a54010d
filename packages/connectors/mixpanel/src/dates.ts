/** Calendar-day arithmetic on `YYYY-MM-DD` labels, and days in a project time zone. */
import { zonedToUtc, zoneOffset } from '@ph-import/core'

const DAY_MS = 86_400_000

export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10)
}

/** Days from `a` to `b` inclusive (1 when equal). */
export function daysInclusive(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / DAY_MS) + 1
}

export function utcToWallClock(utcMs: number, timeZone: string): number {
  return utcMs + zoneOffset(timeZone, utcMs)
}

/** The calendar day of an instant in `timeZone`. */
export function dayIn(utcMs: number, timeZone: string): string {
  return new Date(utcToWallClock(utcMs, timeZone)).toISOString().slice(0, 10)
}

/** Start of `day` in `timeZone`, as a UTC instant. */
export function dayStartUtc(day: string, timeZone: string): number {
  return zonedToUtc(Date.parse(`${day}T00:00:00Z`), timeZone)
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
