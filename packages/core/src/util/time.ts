/** Values above 1e10 are milliseconds, below are seconds: PostHog's and Mixpanel's own rule. */
export const EPOCH_MS_THRESHOLD = 10_000_000_000

export function epochToMillis(value: number): number {
  return Math.abs(value) > EPOCH_MS_THRESHOLD ? value : value * 1000
}

const ISO_UTC_RE = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):([0-5]\d):([0-5]\d)(\.\d{1,9})?Z$/

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
}

/**
 * True for the wire form we send: `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, a real calendar instant (no
 * 2024-02-30). Checked by hand rather than with Date.parse: it runs once per event.
 */
export function isIsoUtcTimestamp(value: unknown): value is string {
  if (typeof value !== 'string') return false
  const m = ISO_UTC_RE.exec(value)
  if (!m) return false
  const year = Number(m[1])
  const month = Number(m[2])
  const day = Number(m[3])
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
