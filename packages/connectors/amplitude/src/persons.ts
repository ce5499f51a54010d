import type { JsonObject } from '@ph-import/core'
import { EMPTY_VALUE } from './mapping.js'
import type { TransformOptions } from './options.js'

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

const present = (v: unknown) => v !== undefined && v !== null && v !== EMPTY_VALUE

export interface PersonUpdates {
  $set: Record<string, unknown>
  $set_once: Record<string, unknown>
  $unset: string[]
}

/**
 * Amplitude user_properties → PostHog person operations. Exported rows carry the resulting flat
 * values; SDK-style operation objects (`$set`, `$setOnce`, `$unset`) are honoured when present.
 * `"EMPTY"` is Amplitude's "no value" and never overwrites anything.
 */
export function personUpdates(userProperties: unknown, options: TransformOptions): PersonUpdates {
  const out: PersonUpdates = { $set: {}, $set_once: {}, $unset: [] }
  if (!isObject(userProperties)) return out
  const put = (key: string, value: unknown, once: boolean) => {
    if (!present(value)) return
    const initial = options.initialUserProperties.get(key)
    if (initial) out.$set_once[initial] = value
    else if (once) out.$set_once[key] = value
    else out.$set[key] = value
  }
  // for-in rather than Object.entries: this runs for every row, over dozens of properties.
  for (const key in userProperties) {
    const value = userProperties[key]
    if (key === '$set' && isObject(value)) for (const k in value) put(k, value[k], false)
    else if (key === '$setOnce' && isObject(value)) for (const k in value) put(k, value[k], true)
    else if (key === '$unset' && isObject(value)) out.$unset.push(...Object.keys(value))
    else if (!key.startsWith('$')) put(key, value, false)
  }
  return out
}

export interface GroupUpdate {
  type: string
  key: string
  properties: JsonObject
}

/** `groups: {company: ["acme"]}` or `{company: "acme"}` → `$groups: {company: "acme"}` (first value). */
export function groupKeys(groups: unknown): Record<string, string> {
  const out: Record<string, string> = {}
  if (!isObject(groups)) return out
  for (const [type, value] of Object.entries(groups)) {
    const first = Array.isArray(value) ? value[0] : value
    if (typeof first === 'string' || typeof first === 'number') out[type] = String(first)
  }
  return out
}

/**
 * group_properties per (type, key). The export's layout is not documented: accept both
 * `{type: {key: {props}}}` and `{type: {props}}` (the props of the row's group of that type).
 */
export function groupUpdates(groupProperties: unknown, keys: Record<string, string>): GroupUpdate[] {
  if (!isObject(groupProperties)) return []
  const updates: GroupUpdate[] = []
  for (const [type, value] of Object.entries(groupProperties)) {
    const key = keys[type]
    if (!isObject(value) || key === undefined) continue
    const nested = value[key]
    const props = isObject(nested) ? nested : value
    const clean = Object.fromEntries(Object.entries(props).filter(([, v]) => present(v))) as JsonObject
    if (Object.keys(clean).length > 0) updates.push({ type, key, properties: clean })
  }
  return updates
}
