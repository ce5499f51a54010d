import type { TransformContext, TransformResult } from '@ph-import/core'
import { zonedToUtc } from '@ph-import/core'
import { stripDevice } from './identity.js'
import {
  countryName,
  own,
  PROFILE_PROPERTIES_DROPPED,
  PROFILE_PROPERTY_RENAMES,
  PROFILE_SET_ONCE,
  PROVENANCE,
} from './mapping.js'

/** Engage dates look like `2008-12-12T11:20:47`, with no zone: read them in the project's zone. */
export function engageDateToIso(value: unknown, timeZone: string): string | undefined {
  if (typeof value !== 'string') return undefined
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(\.\d+)?$/.exec(value.trim())
  if (!m) return undefined
  const wall = Date.parse(`${m[1]}T${m[2]}${m[3] ?? ''}Z`)
  return Number.isNaN(wall) ? undefined : new Date(zonedToUtc(wall, timeZone)).toISOString()
}

/**
 * The time of a profile's update: an update needs one, and the profile's creation is the least surprising
 * (then its last activity, then the start of the range).
 */
export function profileTime(props: Record<string, unknown>, ctx: TransformContext): string {
  const timeZone = String(ctx.partition.params.timezone ?? 'UTC')
  return (
    engageDateToIso(props.$created, timeZone) ??
    engageDateToIso(props.$last_seen, timeZone) ??
    String(ctx.partition.params.fallbackTimestamp ?? '1970-01-01T00:00:00.000Z')
  )
}

/** One Engage profile → one PostHog `$set` event (a person update), loaded before any event. */
export function transformProfile(raw: unknown, ctx: TransformContext): TransformResult {
  const record = raw as { $distinct_id?: unknown; $properties?: unknown }
  const rawId = record?.$distinct_id
  const props = record?.$properties
  if ((typeof rawId !== 'string' && typeof rawId !== 'number') || String(rawId).trim() === '') {
    return ctx.reject('missing_distinct_id', 'profile has no $distinct_id')
  }
  if (typeof props !== 'object' || props === null || Array.isArray(props)) {
    return ctx.reject('malformed_profile', 'profile has no $properties object')
  }
  const timeZone = String(ctx.partition.params.timezone ?? 'UTC')
  const distinctId = stripDevice(String(rawId))
  const set: Record<string, unknown> = {}
  const setOnce: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(props as Record<string, unknown>)) {
    if (PROFILE_PROPERTIES_DROPPED.has(key)) continue
    const name = own(PROFILE_PROPERTY_RENAMES, key) ?? key
    const converted =
      key === '$created' || key === '$last_seen' ? (engageDateToIso(value, timeZone) ?? value) : value
    if (PROFILE_SET_ONCE.has(name)) setOnce[name] = converted
    else set[name] = converted
  }
  const country = countryName(set.$geoip_country_code)
  if (country !== undefined) set.$geoip_country_name = country
  const when = profileTime(props as Record<string, unknown>, ctx)
  return {
    event: '$set',
    distinct_id: distinctId,
    uuid: ctx.uuid('profile', distinctId),
    timestamp: when,
    properties: {
      $set: set,
      ...(Object.keys(setOnce).length > 0 ? { $set_once: setOnce } : {}),
      ...PROVENANCE,
    },
  }
}
