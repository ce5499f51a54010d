import {
  contentHash,
  epochToMillis,
  type PostHogEvent,
  type TransformContext,
  type TransformResult,
  zonedToUtc,
} from '@ph-import/core'
import { groupsOf } from './groups.js'
import { identifyPair, idString, resolveDistinctId, stripDevice } from './identity.js'
import {
  countryName,
  EVENT_PROPERTIES_DROPPED,
  EVENT_PROPERTY_RENAMES,
  EVENT_RENAMES,
  own,
  PROVENANCE,
} from './mapping.js'
import type { WindowParams } from './plan.js'
import type { MixpanelConfig } from './schema.js'

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function mapEventProperties(props: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  // for-in rather than Object.entries, and provenance assigned in place rather than spread into a copy:
  // this runs for every row.
  for (const key in props) {
    if (EVENT_PROPERTIES_DROPPED.has(key)) continue
    out[own(EVENT_PROPERTY_RENAMES, key) ?? key] = props[key]
  }
  const country = countryName(out.$geoip_country_code)
  if (country !== undefined && out.$geoip_country_name === undefined) out.$geoip_country_name = country
  return Object.assign(out, PROVENANCE)
}

/**
 * The key of a row without `$insert_id`. Mixpanel deduplicates only rows that carry one, so two rows without
 * it are two events even when their name, id and second agree (server-side tracking at whole seconds): their
 * properties tell them apart (`mp_processing_time_ms` at least), and a row downloaded twice is byte-identical.
 * The ids are left out, since Mixpanel re-keys merged rows to their user, and so is the mark it leaves then.
 */
function contentKey(props: Record<string, unknown>): string {
  const { distinct_id: _id, $distinct_id_before_identity: _before, $is_reshuffled: _mark, ...rest } = props
  return contentHash(rest)
}

function timeOf(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : undefined
}

/**
 * Mixpanel's identity rows (Original ID Merge) become PostHog's own identity events: `$identify`
 * merges `$anon_id` into `$identified_id`. Mixpanel's `alias(new)` names the id that goes on (the user's)
 * in `alias` and the earlier one in `distinct_id`; PostHog's `$create_alias` is the other way round (it merges
 * `alias`'s person into `distinct_id`'s, and refuses when `alias`'s person is already identified), so the
 * two swap. Sent as Mixpanel wrote them, the merge would be refused whenever the user's `$identify` from
 * another device arrived first: export windows are not in time order. `$merge` (two ids in
 * `$distinct_ids`, merged unconditionally) becomes `$merge_dangerously`, which PostHog merges even when both persons are identified.
 * Returns undefined for ordinary events.
 */
function identityEvent(
  name: string,
  props: Record<string, unknown>,
  recordedId: string,
): { event: string; distinct_id: string; extra: Record<string, unknown> } | { invalid: string } | undefined {
  if (name === '$identify') {
    const identified = idString(props.$identified_id)
    const anon = idString(props.$anon_id)
    if (!identified || !anon) return { invalid: '$identify row without $identified_id and $anon_id' }
    return { event: '$identify', distinct_id: identified, extra: { $anon_distinct_id: stripDevice(anon) } }
  }
  if (name === '$create_alias') {
    const alias = idString(props.alias)
    if (!alias) return { invalid: '$create_alias row without alias' }
    // The id the alias was made from, as recorded: a row re-keyed to its user names the user in distinct_id.
    return {
      event: '$create_alias',
      distinct_id: stripDevice(alias),
      extra: { alias: stripDevice(recordedId) },
    }
  }
  if (name === '$merge') {
    const ids = Array.isArray(props.$distinct_ids) ? props.$distinct_ids.map(idString) : []
    const [a, b] = ids
    if (ids.length !== 2 || !a || !b) return { invalid: '$merge row without two $distinct_ids' }
    return { event: '$merge_dangerously', distinct_id: stripDevice(a), extra: { alias: stripDevice(b) } }
  }
  return undefined
}

/** One exported Mixpanel row → its PostHog event, preceded by a `$identify` the first time a (user, device) pair shows. */
export function transformEvent(raw: unknown, ctx: TransformContext): TransformResult {
  if (isObject(raw) && typeof raw.$unparsable === 'string') {
    return ctx.reject('unparsable_line', `export line is not JSON: ${raw.$unparsable.slice(0, 120)}`)
  }
  if (!isObject(raw) || typeof raw.event !== 'string' || raw.event === '' || !isObject(raw.properties)) {
    return ctx.reject('malformed_record', 'export row needs an `event` name and a `properties` object')
  }
  const params = ctx.partition.params as Partial<WindowParams>
  const props = raw.properties
  const time = timeOf(props.time)
  if (time === undefined) return ctx.reject('missing_time', 'export row has no numeric properties.time')
  // time_in_ms gives ms; values below 1e10 are still seconds. Pre-2023 projects export wall-clock epochs.
  const ms = zonedToUtc(epochToMillis(time), params.timezone ?? 'UTC')
  if (typeof params.rangeStartMs === 'number' && ms < params.rangeStartMs) return ctx.filter('before_start')
  if (typeof params.rangeEndMs === 'number' && ms >= params.rangeEndMs) return ctx.filter('after_end')
  const distinctId = resolveDistinctId(props)
  if (distinctId === undefined)
    return ctx.reject('missing_distinct_id', 'export row has no distinct_id or $device_id')
  // Mixpanel's own dedupe key: its raw export repeats rows, and these collapse to one uuid. The id is the
  // one the row was recorded with: after an ID merge Mixpanel re-keys earlier rows to the user (within
  // ~24 h), keeping the first id in $distinct_id_before_identity, and a download on either side of that
  // must name the event alike.
  const recordedId = idString(props.$distinct_id_before_identity) ?? idString(props.distinct_id) ?? ''
  const insertId = idString(props.$insert_id)
  const uuid =
    insertId === undefined
      ? ctx.uuid('', raw.event, recordedId, ms, contentKey(props))
      : ctx.uuid(insertId, raw.event, recordedId, ms)
  const identity = identityEvent(raw.event, props, recordedId || distinctId)
  if (identity && 'invalid' in identity) return ctx.reject('invalid_identity_event', identity.invalid)
  // Raw export is not deduplicated; a repeat is always in the same window (same day).
  if (!ctx.onceInPartition(uuid)) return ctx.filter('duplicate_in_export')
  const timestamp = new Date(ms).toISOString()
  const properties = mapEventProperties(props)
  const groupKeys = (ctx.config as Partial<MixpanelConfig> | undefined)?.groups
  const groups = groupKeys === undefined ? undefined : groupsOf(props, groupKeys)
  if (groups !== undefined) properties.$groups = groups
  if (identity) {
    return {
      event: identity.event,
      distinct_id: identity.distinct_id,
      uuid,
      timestamp,
      properties: { ...properties, ...identity.extra },
    }
  }
  const event: PostHogEvent = {
    event: own(EVENT_RENAMES, raw.event) ?? raw.event,
    distinct_id: distinctId,
    uuid,
    timestamp,
    properties,
  }
  const pair = identifyPair(props)
  if (!pair || !ctx.once(`identify\u0000${pair.user}\u0000${pair.device}`)) return event
  // Simplified ID Merge: the first row carrying both ids is where Mixpanel merged them.
  const identify: PostHogEvent = {
    event: '$identify',
    distinct_id: pair.user,
    uuid: ctx.uuid('identify', pair.user, pair.device),
    timestamp,
    properties: { $anon_distinct_id: pair.device, ...PROVENANCE },
  }
  return [identify, event]
}
