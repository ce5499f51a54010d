import type { TransformContext } from '@ph-import/core'

/** PostHog ends a session after 24 hours: an event later than that after its start gets no session. */
const MAX_SESSION_MS = 24 * 3_600_000
/** UUIDv7 holds 48 bits of milliseconds. */
const MAX_START_MS = 2 ** 48
/** Sessions seen lately; a session's events come close together, so a small cache answers most. */
const CACHE_LIMIT = 50_000

const recent = new Map<string, string>()

function startOf(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
  return typeof n === 'number' && Number.isInteger(n) && n > 0 && n < MAX_START_MS ? n : undefined
}

/**
 * PostHog's `$session_id` for an event of an Amplitude session. Amplitude's `session_id` is the session's
 * start in epoch milliseconds, one per device (`-1`: no session). PostHog wants a session id that is a UUIDv7
 * whose time is the session's first event, unique to the user, and no event more than 24 hours after it
 * (posthog-js `BootstrapConfig.sessionID`); sessions, session duration, bounce rate and web analytics read it.
 * So: the start as the UUIDv7's milliseconds, and the rest of a UUIDv5 over the data set, the device (the
 * user without one) and the start, so a re-run gives the same id.
 */
export function sessionIdOf(
  sessionId: unknown,
  who: string,
  timestamp: string,
  ctx: Pick<TransformContext, 'uuid' | 'identity'>,
): string | undefined {
  const start = startOf(sessionId)
  if (start === undefined || Date.parse(timestamp) > start + MAX_SESSION_MS) return undefined
  const key = `${ctx.identity}\u0000${who}\u0000${start}`
  const hit = recent.get(key)
  if (hit !== undefined) return hit
  const v5 = ctx.uuid('session', who, start)
  const time = start.toString(16).padStart(12, '0')
  // Version 7 in place of 5; the variant bits of the v5 (10xx) are already UUIDv7's.
  const id = `${time.slice(0, 8)}-${time.slice(8)}-7${v5.slice(15, 18)}-${v5.slice(19)}`
  if (recent.size >= CACHE_LIMIT) recent.clear()
  recent.set(key, id)
  return id
}
