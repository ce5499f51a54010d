const FUTURE_CLAMP_MS = 23 * 3600 * 1000
const NAIVE_DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/
const ZONED_ISO = /T.*(Z|[+-]\d{2}:?\d{2})$/i

export interface EventTime {
  timestamp: string
  day: string
}

const endsWithZ = (text: string) => text.endsWith('Z') || text.endsWith('z')

function parseTimestamp(raw: unknown): number {
  if (typeof raw === 'number') return raw < 1e11 ? raw * 1000 : raw
  if (typeof raw !== 'string' || raw === '') return Number.NaN
  if (endsWithZ(raw)) return Date.parse(raw) // the common case, skip the regex
  // Capture reads "2023-01-01 12:00:00" as UTC; Date.parse would read it as local time.
  if (NAIVE_DATE_TIME.test(raw)) return Date.parse(`${raw.replace(' ', 'T')}Z`)
  return Date.parse(raw)
}

/**
 * The event time as capture computes it (rust/common/types/src/timestamp.rs): `offset` wins over
 * `timestamp`, an unparseable timestamp becomes now, more than 23 h in the future is clamped to now.
 * A zoned ISO string is kept verbatim so sub-millisecond precision survives.
 * Not applied: the `sent_at` clock-skew shift (it is reported in stats instead, see store).
 */
export function eventTime(event: Record<string, unknown>, now: number): EventTime {
  const offset = event.offset
  const hasOffset = typeof offset === 'number' && Number.isFinite(offset)
  let ms = hasOffset ? now - offset : parseTimestamp(event.timestamp)
  let verbatim = !hasOffset && typeof event.timestamp === 'string'
  if (Number.isNaN(ms) || ms > now + FUTURE_CLAMP_MS) {
    ms = now
    verbatim = false
  }
  const iso = new Date(ms).toISOString()
  const raw = event.timestamp as string
  const timestamp = verbatim && (endsWithZ(raw) || ZONED_ISO.test(raw)) ? raw : iso
  return { timestamp, day: iso.slice(0, 10) }
}
