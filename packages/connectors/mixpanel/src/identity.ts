/** Mixpanel identity → PostHog distinct ids (reference: source-apis.md A3, posthog-destination.md 5). */
import { isIllegalDistinctId } from '@ph-import/core'

const DEVICE_PREFIX = '$device:'

function str(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  return undefined
}

/**
 * An id that can name a person: a placeholder a client sent for a missing id (`undefined`, `null`, `0`…, the
 * ids PostHog refuses to merge on) counts as absent, so the next id of the row is used rather than the row
 * being dead-lettered or every such row landing on one person.
 */
function personId(value: unknown): string | undefined {
  const id = str(value)
  return id === undefined || isIllegalDistinctId(id) ? undefined : id
}

/** Simplified ID Merge writes anonymous ids as `$device:<device_id>`; PostHog wants the bare id. */
export function stripDevice(id: string): string {
  return id.startsWith(DEVICE_PREFIX) ? id.slice(DEVICE_PREFIX.length) : id
}

/**
 * The PostHog distinct id of an exported row. Like PostHog's importer, an empty id, a `$device:` id
 * or an all-caps device-style id (`[A-Z0-9-]+`, what Original ID Merge can leave as canonical) yields
 * to `$distinct_id_before_identity` when the row has one; a `$device:` id otherwise becomes the
 * device id.
 */
export function resolveDistinctId(props: Record<string, unknown>): string | undefined {
  // Only placeholders: the row keeps its id, and the validator dead-letters it naming it (illegal_distinct_id).
  return resolveFrom(props, personId) ?? resolveFrom(props, str)
}

function resolveFrom(
  props: Record<string, unknown>,
  idOf: (value: unknown) => string | undefined,
): string | undefined {
  const id = idOf(props.distinct_id)
  const before = idOf(props.$distinct_id_before_identity)
  const deviceLike = id === undefined || id.startsWith(DEVICE_PREFIX) || /^[A-Z0-9-]+$/.test(id)
  if (deviceLike && before !== undefined) return stripDevice(before)
  if (id === undefined) return idOf(props.$device_id)
  if (id.startsWith(DEVICE_PREFIX)) return idOf(props.$device_id) ?? stripDevice(id)
  return id
}

/** The (user, device) pair of a Simplified ID Merge row that links them, if it has both. */
export function identifyPair(props: Record<string, unknown>): { user: string; device: string } | undefined {
  const user = personId(props.$user_id)
  const device = personId(props.$device_id)
  if (user === undefined || device === undefined) return undefined
  const bare = stripDevice(device)
  return bare === user ? undefined : { user, device: bare }
}

export { str as idString }
