import { compactDate, EPOCH_MS_THRESHOLD, zonedToUtc } from '@ph-import/core'
import { compileFormat, type DateParts, parseOffset } from './timestamp-format.js'

export type ParsedTimestamp = { ok: true; iso: string } | { ok: false; reason: string }

export interface TimestampOptions {
  /** IANA zone for values without an offset. */
  timezone: string
  /** Explicit format; when given, only it is accepted. */
  format?: string | undefined
}

const EPOCH_RE = /^(\d+)(?:\.(\d{1,9}))?$/
// ISO 8601 and the SQL/Amplitude form `YYYY-MM-DD HH:MM:SS[.ffffff]`, with an optional zone
// (BigQuery and Postgres exports append ` UTC` or `+00`).
const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$/i

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
}

/** The full fraction is kept (microseconds from Amplitude/BigQuery); PostHog accepts up to 9 digits. */
function withFraction(utcMs: number, fraction: string): string | undefined {
  const date = new Date(utcMs)
  const year = date.getUTCFullYear()
  if (Number.isNaN(utcMs) || year < 1000 || year > 9999) return undefined
  const digits = fraction.length >= 3 ? fraction : fraction.padEnd(3, '0')
  return `${date.toISOString().slice(0, 19)}.${digits}Z`
}

/** Calendar-checked parts → ISO 8601 UTC, or the reason it is not a real instant. */
export function partsToIso(parts: DateParts, timezone: string): ParsedTimestamp {
  const { year, month, day, hour, minute, second } = parts
  if (month < 1 || month > 12) return { ok: false, reason: `month ${month} does not exist` }
  if (day < 1 || day > daysInMonth(year, month))
    return { ok: false, reason: `${year}-${pad(month)}-${pad(day)} is not a calendar date` }
  if (hour > 23 || minute > 59 || second > 59)
    return { ok: false, reason: `${pad(hour)}:${pad(minute)}:${pad(second)} is not a time of day` }
  const wall = wallClock(year, month, day, hour, minute, second)
  const utc =
    parts.offsetMinutes === undefined ? zonedToUtc(wall, timezone) : wall - parts.offsetMinutes * 60_000
  const iso = withFraction(utc, parts.fraction)
  return iso ? { ok: true, iso } : { ok: false, reason: `year ${year} is out of range` }
}

// Date.UTC maps years 0-99 to 1900-1999; setUTCFullYear takes the year literally.
function wallClock(year: number, month: number, day: number, hour: number, minute: number, second: number) {
  const d = new Date(Date.UTC(2000, month - 1, day, hour, minute, second))
  d.setUTCFullYear(year, month - 1, day)
  return d.getTime()
}

function pad(n: number): string {
  return String(n).padStart(2, '0')
}

/** Below this an epoch is before March 1973: a count, a 0 for "unknown" or an Excel serial date (44927). */
const MIN_EPOCH_SECONDS = 100_000_000

/**
 * Epoch seconds or milliseconds (PostHog's rule: above 1e10 is ms), or microseconds (above 1e14) and
 * nanoseconds (above 1e17), which as milliseconds would be past the year 5000; every digit below the second
 * is kept, read from the text (nanoseconds are beyond a double).
 */
export function parseEpoch(value: string): ParsedTimestamp | undefined {
  const m = EPOCH_RE.exec(value)
  if (!m) return undefined
  const digits = m[1] as string
  const whole = Number(digits)
  const extra = m[2] ?? ''
  let seconds: number
  let fraction: string
  if (whole >= 1e17) {
    seconds = Number(digits.slice(0, -9))
    fraction = digits.slice(-9)
  } else if (whole >= 1e14) {
    seconds = Number(digits.slice(0, -6))
    fraction = digits.slice(-6) + extra
  } else if (whole > EPOCH_MS_THRESHOLD) {
    seconds = Math.floor(whole / 1000)
    fraction = String(whole % 1000).padStart(3, '0') + extra
  } else {
    seconds = whole
    fraction = extra
  }
  if (seconds < MIN_EPOCH_SECONDS)
    return {
      ok: false,
      reason: `${value} as an epoch is ${new Date(seconds * 1000).toISOString().slice(0, 10)}, before 1973: no event time (an Excel serial date? a count?)`,
    }
  const iso = withFraction(seconds * 1000, fraction.slice(0, 9))
  return iso ? { ok: true, iso } : { ok: false, reason: `epoch ${value} is out of range` }
}

function parseIso(value: string, timezone: string): ParsedTimestamp | undefined {
  const m = ISO_RE.exec(value)
  if (!m) return undefined
  let offsetMinutes: number | undefined
  if (m[8] !== undefined) {
    offsetMinutes = parseOffset(m[8])
    if (offsetMinutes === undefined) return { ok: false, reason: `zone offset ${m[8]} is not valid` }
  }
  return partsToIso(
    {
      year: Number(m[1]),
      month: Number(m[2]),
      day: Number(m[3]),
      hour: Number(m[4] ?? 0),
      minute: Number(m[5] ?? 0),
      second: Number(m[6] ?? 0),
      fraction: m[7] ?? '',
      offsetMinutes,
    },
    timezone,
  )
}

/**
 * One timestamp cell → ISO 8601 UTC. Accepted without a format: epoch seconds/ms, ISO 8601 with or
 * without a zone, and `YYYY-MM-DD HH:MM:SS[.ffffff]`. Zoneless values are read in `timezone`.
 * Anything else needs `format`: guessing (Date.parse) would read 01/02 as January in one file and
 * February in the next.
 */
export function parseTimestamp(raw: string, options: TimestampOptions): ParsedTimestamp {
  const value = raw.trim()
  if (options.format) {
    const parts = compileFormat(options.format)(value)
    if (!parts)
      return { ok: false, reason: `${JSON.stringify(value)} does not match format ${options.format}` }
    return partsToIso(parts, options.timezone)
  }
  const spelled = compactDate(value)
  if (spelled)
    return {
      ok: false,
      reason: `${value} looks like the day ${spelled} written without separators, not epoch seconds (which would be 1970): give --timestamp-format YYYYMMDD`,
    }
  const result = parseEpoch(value) ?? parseIso(value, options.timezone)
  return (
    result ?? {
      ok: false,
      reason: `${JSON.stringify(value)} is not an epoch, ISO 8601 or YYYY-MM-DD HH:MM:SS timestamp (give --timestamp-format)`,
    }
  )
}
