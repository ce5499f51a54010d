import {
  compactDate,
  epochToMillis,
  isIsoUtcTimestamp,
  isUuid,
  type PostHogEvent,
  type TransformContext,
  type TransformResult,
} from '@ph-import/core'
import { quoteUnsafeIntegers } from './big-integers.js'
import type { JsonlConfig, RawJsonlLine } from './schema.js'

type Obj = Record<string, unknown>

/** A date, or a date and time with optional seconds, fraction and zone, `T` or a space between. */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?([zZ]|[+-]\d{2}:?\d{2})?$/

/** Exactly what `toISOString()` prints: such values (most PostHog dumps) pass through unparsed. */
const CANONICAL_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

/** Below this an epoch is before March 1973: a count, a 0 for "unknown" or an Excel serial date (44927), never a time. */
const MIN_EPOCH_SECONDS = 100_000_000

/**
 * Epoch seconds or milliseconds (PostHog's rule: above 1e10 is ms), or microseconds and nanoseconds (BigQuery,
 * GA4), which as milliseconds would be past the year 5000. Undefined for what cannot be an event's time.
 */
function epochToIso(value: number, digits = String(value)): string | undefined {
  const ms = value >= 1e17 ? value / 1e6 : value >= 1e14 ? value / 1e3 : epochToMillis(value)
  if (!Number.isFinite(ms) || ms < MIN_EPOCH_SECONDS * 1000) return undefined
  const date = new Date(ms)
  if (date.getUTCFullYear() > 9999) return undefined
  // An integer in µs or ns keeps its digits below the second, read from the text: ns are beyond a double,
  // and dividing them rounds 12.999999999 s up to 13.
  const sub = value >= 1e17 ? 9 : value >= 1e14 ? 6 : 0
  if (sub > 0 && /^\d+$/.test(digits)) {
    const seconds = new Date(Number(digits.slice(0, -sub)) * 1000).toISOString().slice(0, 19)
    return `${seconds}.${digits.slice(-sub)}Z`
  }
  return date.toISOString()
}

function toTimestamp(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return epochToIso(value)
  if (typeof value !== 'string' || value.trim() === '') return undefined
  if (CANONICAL_ISO.test(value) && isIsoUtcTimestamp(value)) return value
  const trimmed = value.trim()
  if (/^\d+(\.\d+)?$/.test(trimmed)) return epochToIso(Number(trimmed), trimmed)
  // ISO 8601 only, as documented: Date.parse would also take "01/05/2024" (month first), "May 1, 2024"
  // or "-1" (2001), guessing where a wrong guess moves the event for good.
  if (!ISO_8601.test(trimmed)) return undefined
  // Zoneless values are UTC (PostHog's rule); a date-only value is midnight UTC.
  const zoned =
    /[zZ]|[+-]\d{2}:?\d{2}$/.test(trimmed) || /^\d{4}-\d{2}-\d{2}$/.test(trimmed) ? trimmed : `${trimmed}Z`
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(zoned)
  if (m && !isCalendarDate(Number(m[1]), Number(m[2]), Number(m[3]))) return undefined
  const ms = Date.parse(zoned.replace(' ', 'T'))
  if (Number.isNaN(ms)) return undefined
  // Date keeps milliseconds; microseconds and nanoseconds are kept as written (zones move whole minutes).
  const fraction = /\.(\d{4,9})/.exec(trimmed)?.[1]
  const iso = new Date(ms).toISOString()
  return fraction ? `${iso.slice(0, 20)}${fraction}Z` : iso
}

/** Date.parse rolls 2024-02-30 over into March; an impossible date must be refused instead. */
function isCalendarDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate()
}

/** One JSON line of a PostHog-shaped event → the event, keeping its uuid when it has a valid one. */
export function transformLine(raw: RawJsonlLine, ctx: TransformContext<JsonlConfig>): TransformResult {
  const where = `${raw.file}:${raw.line}`
  if (raw.tooLong !== undefined)
    return ctx.reject(
      'line_too_long',
      `${where}: the line is ${raw.tooLong} bytes, over the 16 MiB a line may hold (PostHog refuses events over 1 MB): is the file JSON lines, one event per line?`,
    )
  if (raw.text === null) return ctx.reject('invalid_utf8', `${where}: the line is not valid UTF-8`)
  let value: unknown
  try {
    value = JSON.parse(quoteUnsafeIntegers(raw.text))
  } catch (error) {
    return ctx.reject('unparsable_line', `${where}: not valid JSON (${(error as Error).message})`)
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return ctx.reject('not_an_object', `${where}: each line must be a JSON object`)
  }
  const keys = { event: 'event', distinctId: 'distinct_id', timestamp: 'timestamp', ...pick(ctx.config) }
  const row = value as Obj
  const given = propertiesOf(row.properties)
  const props = (given ? { ...given } : {}) as Obj
  const event = row[keys.event]
  if (typeof event !== 'string' || event === '')
    return ctx.reject('missing_event_name', `${where}: no "${keys.event}"`)
  const rawId = firstId(row, keys.distinctId) ?? props.distinct_id ?? row.$distinct_id
  const distinctId = typeof rawId === 'number' ? String(rawId) : rawId
  if (typeof distinctId !== 'string' || distinctId === '') {
    return ctx.reject('missing_distinct_id', `${where}: no "${keys.distinctId}"`)
  }
  const time = row[keys.timestamp] ?? props.timestamp
  const spelled = typeof time === 'number' || typeof time === 'string' ? compactDate(time) : undefined
  if (spelled)
    return ctx.reject(
      'invalid_timestamp',
      `${where}: "${keys.timestamp}" is ${JSON.stringify(time)}, the day ${spelled} written without separators, not epoch seconds (which would be 1970): write it as ${spelled}`,
    )
  const timestamp = toTimestamp(time)
  if (!timestamp)
    return ctx.reject(
      'invalid_timestamp',
      time === undefined || time === null || time === ''
        ? `${where}: "${keys.timestamp}" is missing`
        : `${where}: "${keys.timestamp}" is ${JSON.stringify(time).slice(0, 60)}, not an ISO 8601 date or an epoch number (seconds, ms, µs or ns) after 1973`,
    )
  // $set/$set_once may sit at the top level in capture payloads; PostHog's SDKs put them in properties.
  // Both places are kept, the top level winning per key, as capture merges them.
  for (const key of ['$set', '$set_once'] as const) {
    const top = row[key]
    if (!top || typeof top !== 'object' || Array.isArray(top)) continue
    const inner = props[key]
    props[key] =
      inner && typeof inner === 'object' && !Array.isArray(inner)
        ? { ...(inner as Obj), ...(top as Obj) }
        : top
  }
  props.$import_source ??= 'jsonl'
  const out: PostHogEvent = {
    event,
    distinct_id: distinctId,
    uuid: isUuid(row.uuid) ? row.uuid.toLowerCase() : ctx.uuid(raw.fileId, raw.line),
    timestamp,
    properties: props,
  }
  return out
}

/**
 * The first of the comma-separated keys with an id (a non-empty string or a number): Segment writes `userId`
 * null for an anonymous event, whose id is then `anonymousId`.
 */
function firstId(row: Obj, keys: string): unknown {
  for (const key of keys.includes(',') ? keys.split(',') : [keys]) {
    const value = row[key.trim()]
    if ((typeof value === 'string' && value !== '') || typeof value === 'number') return value
  }
  return undefined
}

/** `properties` as an object: given as one, or as JSON text of one (some exports write it so). */
function propertiesOf(value: unknown): Obj | undefined {
  if (value && typeof value === 'object' && !Array.isArray(value)) return value as Obj
  if (typeof value !== 'string' || !value.trimStart().startsWith('{')) return undefined
  try {
    const parsed: unknown = JSON.parse(value)
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Obj) : undefined
  } catch {
    return undefined
  }
}

function pick(config: JsonlConfig | undefined) {
  return config
    ? { event: config.eventKey, distinctId: config.distinctIdKey, timestamp: config.timestampKey }
    : {}
}
