import {
  contentHash,
  isIllegalDistinctId,
  isUuid,
  type PostHogEvent,
  sqlDateTimeToIso,
  type TransformContext,
  type TransformResult,
} from '@ph-import/core'
import { countryCode } from './country-code.js'
import {
  AUTOCAPTURE_EVENT_TYPE,
  deviceProperties,
  PERSON_CONTEXT_PROPERTIES,
  TOP_LEVEL_PROPERTIES,
} from './mapping.js'
import { type TransformOptions, transformOptions } from './options.js'
import { groupKeys, groupUpdates, personUpdates } from './persons.js'
import type { AmplitudeConfig, RawAmplitudeEvent } from './schema.js'
import { sessionIdOf } from './session-id.js'

export const IMPORT_SOURCE = 'amplitude'
const TOP_LEVEL_FIELDS = Object.keys(TOP_LEVEL_PROPERTIES)
const TOP_LEVEL_NAMES = Object.values(TOP_LEVEL_PROPERTIES)

const id = (v: unknown): string | undefined => {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v)
  return typeof v === 'string' && v.trim() !== '' ? v : undefined
}

/**
 * An id that can name a person: a placeholder a client sent for a missing one (`null`, `undefined`, `0`…, the
 * ids PostHog refuses to merge on) counts as absent, so the next field of `distinctIdFrom` is used.
 */
const personId = (v: unknown): string | undefined => {
  const s = id(v)
  return s === undefined || isIllegalDistinctId(s) ? undefined : s
}

const TIME_FIELDS = ['event_time', 'client_event_time', 'server_received_time'] as const

function timestampOf(raw: RawAmplitudeEvent): string | undefined {
  for (const field of TIME_FIELDS) {
    const v = raw[field]
    const iso = typeof v === 'string' ? sqlDateTimeToIso(v) : undefined
    if (iso) return iso
  }
  return undefined
}

function uuidOf(raw: RawAmplitudeEvent, ctx: TransformContext): string {
  if (isUuid(raw.uuid)) return raw.uuid.toLowerCase()
  // Amplitude dedupes on device_id + $insert_id, so the pair names one event.
  const insertId = id(raw.$insert_id)
  if (insertId) return ctx.uuid('insert_id', id(raw.device_id) ?? '', insertId)
  return ctx.uuidFromContent(raw)
}

function eventProperties(raw: RawAmplitudeEvent, options: TransformOptions): Record<string, unknown> {
  const props: Record<string, unknown> = {}
  const source = raw.event_properties as Record<string, unknown> | undefined
  if (source && typeof source === 'object') {
    for (const key in source) props[options.eventProperties.get(key) ?? key] = source[key]
  }
  for (let i = 0; i < TOP_LEVEL_FIELDS.length; i++) {
    const value = raw[TOP_LEVEL_FIELDS[i] as string]
    if (value !== undefined && value !== null && value !== '') props[TOP_LEVEL_NAMES[i] as string] = value
  }
  deviceProperties(raw, props)
  if (props.$geoip_country_name !== undefined && props.$geoip_country_code === undefined) {
    const code = countryCode(props.$geoip_country_name)
    if (code !== undefined) props.$geoip_country_code = code
  }
  const device_id = id(raw.device_id)
  if (device_id) props.$device_id = device_id
  const type = raw.event_type ?? ''
  // Own entries only: an event_type called `constructor` must not find Object.prototype's function.
  const autocapture = Object.hasOwn(AUTOCAPTURE_EVENT_TYPE, type) ? AUTOCAPTURE_EVENT_TYPE[type] : undefined
  if (autocapture && props.$event_type === undefined) props.$event_type = autocapture
  props.$import_source = IMPORT_SOURCE
  // Geo comes from Amplitude; PostHog must not re-locate every event at the importer's address.
  props.$geoip_disable = true
  return props
}

/**
 * One Amplitude row → PostHog events: a `$identify` first when a (user_id, device_id) pair is new
 * to the job, `$groupidentify` for new group properties, then the event itself (Amplitude's own
 * `$identify` rows become `$set` updates). Pure apart from `ctx.once`, which the runtime persists.
 */
export function transformAmplitude(
  raw: RawAmplitudeEvent | string,
  ctx: TransformContext<AmplitudeConfig>,
): TransformResult {
  if (typeof raw !== 'object' || raw === null) {
    return ctx.reject('unparsable_record', 'export line is not a JSON object')
  }
  const options = transformOptions(ctx)
  const type = typeof raw.event_type === 'string' ? raw.event_type : ''
  if (type === '') return ctx.reject('missing_event_name', 'event_type is missing')
  if (options.dropEvents.has(type)) return ctx.filter(type)
  let distinctId: string | undefined
  for (const field of options.distinctIdFrom) {
    distinctId = personId(raw[field])
    if (distinctId) break
  }
  // Only placeholders: the row keeps its id, and the validator dead-letters it naming it (illegal_distinct_id).
  for (const field of options.distinctIdFrom) {
    if (distinctId) break
    distinctId = id(raw[field])
  }
  if (!distinctId) {
    return ctx.reject('missing_distinct_id', `neither ${options.distinctIdFrom.join(' nor ')} is set`)
  }
  const timestamp = timestampOf(raw)
  if (!timestamp) {
    return ctx.reject(
      'invalid_timestamp',
      'none of event_time, client_event_time, server_received_time is a valid YYYY-MM-DD HH:MM:SS[.ffffff]',
    )
  }
  const out: PostHogEvent[] = []
  const userId = personId(raw.user_id)
  const deviceId = personId(raw.device_id)
  if (
    options.identify &&
    userId &&
    deviceId &&
    userId !== deviceId &&
    ctx.once(`${userId}\u0000${deviceId}`)
  ) {
    out.push({
      event: '$identify',
      distinct_id: userId,
      uuid: ctx.uuid('identify', userId, deviceId),
      timestamp,
      properties: { $anon_distinct_id: deviceId, $import_source: IMPORT_SOURCE, $geoip_disable: true },
    })
  }
  const props = eventProperties(raw, options)
  if (options.sessionIds && props.$session_id === undefined) {
    const session = sessionIdOf(raw.session_id, id(raw.device_id) ?? distinctId, timestamp, ctx)
    if (session !== undefined) props.$session_id = session
  }
  const groups = groupKeys(raw.groups)
  if (Object.keys(groups).length > 0) props.$groups = groups
  const isGroupIdentify = type === '$groupidentify'
  if (options.groupIdentify || isGroupIdentify) {
    for (const g of groupUpdates(raw.group_properties, groups)) {
      const hash = contentHash(g.properties, 16)
      if (!isGroupIdentify && !ctx.once(`group\u0000${g.type}\u0000${g.key}\u0000${hash}`)) continue
      out.push({
        event: '$groupidentify',
        distinct_id: distinctId,
        uuid: ctx.uuid('groupidentify', g.type, g.key, hash, isGroupIdentify ? uuidOf(raw, ctx) : ''),
        timestamp,
        properties: {
          $group_type: g.type,
          $group_key: g.key,
          $group_set: g.properties,
          $import_source: IMPORT_SOURCE,
          $geoip_disable: true,
        },
      })
    }
  }
  // Amplitude's $groupidentify rows are group updates only, never an event of their own.
  if (isGroupIdentify) return out.length > 0 ? out : ctx.filter('empty_groupidentify')
  if (options.setUserProperties) {
    const person = personUpdates(raw.user_properties, options)
    for (const key of PERSON_CONTEXT_PROPERTIES) if (props[key] !== undefined) person.$set[key] ??= props[key]
    if (Object.keys(person.$set).length > 0) props.$set = person.$set
    if (Object.keys(person.$set_once).length > 0) props.$set_once = person.$set_once
    if (person.$unset.length > 0) props.$unset = person.$unset
  }
  // Amplitude's $identify rows only update the user: PostHog's equivalent is a `$set` event.
  const event = type === '$identify' ? '$set' : (options.eventNames.get(type) ?? type)
  out.push({ event, distinct_id: distinctId, uuid: uuidOf(raw, ctx), timestamp, properties: props })
  return out.length === 1 ? (out[0] as PostHogEvent) : out
}
