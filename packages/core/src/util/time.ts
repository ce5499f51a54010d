/** Values above 1e10 are milliseconds, below are seconds: PostHog's and Mixpanel's own rule. */
export const EPOCH_MS_THRESHOLD = 10_000_000_000

export function epochToMillis(value: number): number {
  return Math.abs(value) > EPOCH_MS_THRESHOLD ? value : value * 1000
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
}

/** The decimal value of `value[from..to)`, or -1 if any of it is not an ASCII digit. */
function digitsAt(value: string, from: number, to: number): number {
  let n = 0
  for (let i = from; i < to; i++) {
    const d = value.charCodeAt(i) - 48
    if (d < 0 || d > 9) return -1
    n = n * 10 + d
  }
  return n
}

/**
 * True for the wire form we send: `YYYY-MM-DDTHH:MM:SS[.fraction of 1-9 digits]Z`, a real calendar
 * instant (no 2024-02-30). Checked character by character rather than with a regex or Date.parse: it
 * runs once or twice per event.
 */
export function isIsoUtcTimestamp(value: unknown): value is string {
  if (typeof value !== 'string') return false
  const length = value.length
  if (length < 20 || length === 21 || length > 30 || value.charCodeAt(length - 1) !== 90 /* Z */) return false
  if (
    value.charCodeAt(4) !== 45 /* - */ ||
    value.charCodeAt(7) !== 45 ||
    value.charCodeAt(10) !== 84 /* T */ ||
    value.charCodeAt(13) !== 58 /* : */ ||
    value.charCodeAt(16) !== 58
  ) {
    return false
  }
  if (length > 20 && (value.charCodeAt(19) !== 46 /* . */ || digitsAt(value, 20, length - 1) < 0))
    return false
  const year = digitsAt(value, 0, 4)
  const month = digitsAt(value, 5, 7)
  const day = digitsAt(value, 8, 10)
  const hour = digitsAt(value, 11, 13)
  const minute = digitsAt(value, 14, 16)
  const second = digitsAt(value, 17, 19)
  if (year < 0 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59)
    return false
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month)
}

/** Millisecond-precision ISO 8601 UTC, the form PostHog stores. */
export function toIsoTimestamp(ms: number): string {
  return new Date(ms).toISOString()
}

/**
 * `YYYY-MM-DD HH:MM:SS[.ffffff]` (UTC) → ISO 8601 keeping the full fraction (Amplitude gives microseconds,
 * PostHog's own importer truncates them; we keep them). Returns undefined for impossible dates.
 */
export function sqlDateTimeToIso(value: string): string | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d{1,9})?(Z|[+-]00:?00)?$/.exec(value.trim())
  if (!m) return undefined
  const iso = `${m[1]}T${m[2]}${m[3] ?? '.000'}Z`
  return isIsoUtcTimestamp(iso) ? iso : undefined
}

/** The UTC day (YYYY-MM-DD) of a wire timestamp; used for per-day counts. */
export function utcDay(isoTimestamp: string): string {
  return isoTimestamp.slice(0, 10)
}

/**
 * Whether a YYYY-MM-DD day (or the day of a datetime starting with one) is in the calendar: `Date.parse`
 * takes 2024-02-30 as 1 March, so a user's typo would quietly move a range.
 */
export function isCalendarDay(value: string): boolean {
  const day = value.slice(0, 10)
  const ms = Date.parse(`${day}T00:00:00Z`)
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === day
}

/** The message for a day that `isCalendarDay` refuses. */
export const NOT_A_CALENDAR_DAY =
  'that day does not exist in the calendar (check the month and the day of the month)'

/**
 * Whether an epoch-looking number is a date written without separators (20240501). Read as epoch
 * seconds, every 8-digit number lands in 1970–1973, where no analytics event is: such a value is refused
 * rather than imported decades off. Returns the day it spells, YYYY-MM-DD, or undefined.
 */
export function compactDate(value: string | number): string | undefined {
  const text = typeof value === 'number' ? String(value) : value.trim()
  const m = /^(19|20|21)(\d{2})(\d{2})(\d{2})$/.exec(text)
  if (!m) return undefined
  const day = `${m[1]}${m[2]}-${m[3]}-${m[4]}`
  return isCalendarDay(day) ? day : undefined
}
