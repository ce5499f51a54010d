import {
  compactDate,
  epochToMillis,
  isIsoUtcTimestamp,
  isUuid,
  type PostHogEvent,
  type TransformContext,
  type TransformResult,
} from '@ph-import/core'
import type { JsonlConfig, RawJsonlLine } from './schema.js'

type Obj = Record<string, unknown>

/** A date, or a date and time with optional seconds, fraction and zone, `T` or a space between. */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?([zZ]|[+-]\d{2}:?\d{2})?$/

/** Exactly what `toISOString()` prints: such values (most PostHog dumps) pass through unparsed. */
const CANONICAL_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

function toTimestamp(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(epochToMillis(value)).toISOString()
  if (typeof value !== 'string' || value.trim() === '') return undefined
  if (CANONICAL_ISO.test(value) && isIsoUtcTimestamp(value)) return value
  const trimmed = value.trim()
  if (/^\d+(\.\d+)?$/.test(trimmed)) return new Date(epochToMillis(Number(trimmed))).toISOString()
  // ISO 8601 only, as documented: Date.parse would also take "01/05/2024" (month first), "May 1, 2024"
  // or "-1" (2001), guessing where a wrong guess moves the event for good.
  if (!ISO_8601.test(trimmed)) return undefined
  // Zoneless values are UTC (PostHog's rule); a date-only value is midnight UTC.
  const zoned =
    /[zZ]|[+-]\d{2}:?\d{2}$/.test(trimmed) || /^\d{4}-\d{2}-\d{2}$/.test(trimmed) ? trimmed : `${trimmed}Z`
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(zoned)
  if (m && !isCalendarDate(Number(m[1]), Number(m[2]), Number(m[3]))) return undefined
  const ms = Date.parse(zoned.replace(' ', 'T'))
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString()
}

/** Date.parse rolls 2024-02-30 over into March; an impossible date must be refused instead. */
function isCalendarDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate()
}

/** One JSON line of a PostHog-shaped event → the event, keeping its uuid when it has a valid one. */
export function transformLine(raw: RawJsonlLine, ctx: TransformContext<JsonlConfig>): TransformResult {
  const where = `${raw.file}:${raw.line}`
  if (raw.text === null) return ctx.reject('invalid_utf8', `${where}: the line is not valid UTF-8`)
  let value: unknown
  try {
    value = JSON.parse(raw.text)
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
  const rawId = row[keys.distinctId] ?? props.distinct_id ?? row.$distinct_id
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
        : `${where}: "${keys.timestamp}" is ${JSON.stringify(time).slice(0, 60)}, not an ISO 8601 date or an epoch number`,
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
