import type { TransformContext, TransformResult } from '@ph-import/core'
import { own, PROFILE_PROPERTIES_DROPPED, PROFILE_PROPERTY_RENAMES, PROVENANCE } from './mapping.js'
import { engageDateToIso, profileTime } from './transform-profile.js'

/** The one distinct id group profiles are sent under: at most one person in PostHog for all of them. */
export const GROUP_UPDATES_DISTINCT_ID = 'ph-import-group-profiles'

/** A group key's value as PostHog takes it: a non-empty string, or a number written as one. */
function groupValue(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  return undefined
}

/**
 * The event's groups as PostHog's `$groups` (`{company: "acme"}`), from the properties Mixpanel's Group
 * Analytics keys on. Mixpanel lets an event belong to several groups of one key (a list); PostHog takes
 * one group per type, so the first is kept, as PostHog's Amplitude importer does. The property itself stays.
 */
export function groupsOf(
  props: Record<string, unknown>,
  keys: Readonly<Record<string, string>>,
): Record<string, string> | undefined {
  let groups: Record<string, string> | undefined
  for (const key in keys) {
    const raw = props[key]
    const value = Array.isArray(raw) ? raw.map(groupValue).find((v) => v !== undefined) : groupValue(raw)
    if (value === undefined) continue
    groups ??= {}
    groups[keys[key] as string] = value
  }
  return groups
}

/**
 * One Engage group profile (`data_group_id`) → one `$groupidentify`: `$distinct_id` is the group's key
 * value. A group update needs a distinct id and PostHog makes a person of it; posthog-node's default
 * (`$<type>_<key>`) would make one dummy person per group (PostHog#7921), and sending it personless drops
 * the group update, so every group profile shares one distinct id, as PostHog's docs advise. The time is
 * chosen as for user profiles.
 */
export function transformGroupProfile(raw: unknown, ctx: TransformContext): TransformResult {
  const record = raw as { $distinct_id?: unknown; $properties?: unknown }
  const key = groupValue(record?.$distinct_id)
  const props = record?.$properties
  const type = String(ctx.partition.params.groupType)
  if (key === undefined) return ctx.reject('missing_group_key', 'group profile has no $distinct_id')
  if (typeof props !== 'object' || props === null || Array.isArray(props)) {
    return ctx.reject('malformed_profile', 'group profile has no $properties object')
  }
  const timeZone = String(ctx.partition.params.timezone ?? 'UTC')
  const set: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(props as Record<string, unknown>)) {
    if (PROFILE_PROPERTIES_DROPPED.has(name)) continue
    const converted =
      name === '$created' || name === '$last_seen' ? (engageDateToIso(value, timeZone) ?? value) : value
    set[own(PROFILE_PROPERTY_RENAMES, name) ?? name] = converted
  }
  return {
    event: '$groupidentify',
    distinct_id: GROUP_UPDATES_DISTINCT_ID,
    uuid: ctx.uuid('group-profile', type, key),
    timestamp: profileTime(props as Record<string, unknown>, ctx),
    properties: { $group_type: type, $group_key: key, $group_set: set, ...PROVENANCE },
  }
}
