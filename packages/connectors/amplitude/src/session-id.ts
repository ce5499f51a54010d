import type { TransformContext } from '@ph-import/core'

/** PostHog ends a session after 24 hours: an event later than that after its start gets no session. */
const MAX_SESSION_MS = 24 * 3_600_000
/** UUIDv7 holds 48 bits of milliseconds. */
const MAX_START_MS = 2 ** 48

function startOf(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
  return typeof n === 'number' && Number.isInteger(n) && n > 0 && n < MAX_START_MS ? n : undefined
}

const digit = (text: string, at: number) => text.charCodeAt(at) - 48

/** Epoch ms of the transform's own `YYYY-MM-DDTHH:MM:SS…Z` to the second: Date.parse costs three times as much. */
function secondsOf(iso: string): number {
  return Date.UTC(
    digit(iso, 0) * 1000 + digit(iso, 1) * 100 + digit(iso, 2) * 10 + digit(iso, 3),
    digit(iso, 5) * 10 + digit(iso, 6) - 1,
    digit(iso, 8) * 10 + digit(iso, 9),
    digit(iso, 11) * 10 + digit(iso, 12),
    digit(iso, 14) * 10 + digit(iso, 15),
    digit(iso, 17) * 10 + digit(iso, 18),
  )
}

/** Two 32-bit words of a multiplicative string hash (FNV-style lanes, mixed at the end). */
function hash64(text: string, seed: number): [number, number] {
  let a = 0x811c9dc5 ^ seed
  let b = 0x9e3779b9 ^ seed
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    a = Math.imul(a ^ c, 0x01000193)
    b = Math.imul(b ^ c, 0x5bd1e995)
  }
  a = Math.imul(a ^ (a >>> 15), 0x85ebca6b) ^ Math.imul(b ^ (b >>> 13), 0xc2b2ae35)
  b = Math.imul(b ^ (b >>> 16), 0x85ebca6b) ^ Math.imul(a ^ (a >>> 13), 0xc2b2ae35)
  return [a >>> 0, b >>> 0]
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0')

/** The last session's id: a session's events often come one after another. */
let last = { start: -1, who: '', identity: '', id: '' }

/**
 * PostHog's `$session_id` for an event of an Amplitude session. Amplitude's `session_id` is the session's
 * start in epoch milliseconds, one per device (`-1`: no session). PostHog wants a session id that is a UUIDv7
 * whose time is the session's first event, unique to the user, and no event more than 24 hours after it
 * (posthog-js `BootstrapConfig.sessionID`); sessions, session duration, bounce rate and web analytics read it.
 * So: the start as the UUIDv7's 48 bits of milliseconds, and its 74 other bits from a hash of the data set and
 * the device (the user without one), so a re-run gives the same id and two devices starting a session in the
 * same millisecond get two. A non-cryptographic hash: a SHA-1 uuid per event cost 5% of the transform.
 */
export function sessionIdOf(
  sessionId: unknown,
  who: string,
  timestamp: string,
  ctx: Pick<TransformContext, 'identity'>,
): string | undefined {
  const start = startOf(sessionId)
  if (start === undefined || secondsOf(timestamp) > start + MAX_SESSION_MS) return undefined
  if (last.start === start && last.who === who && last.identity === ctx.identity) return last.id
  const key = `${ctx.identity}\u0000${who}`
  const [a, b] = hash64(key, 0)
  const [c] = hash64(key, 0x27d4eb2d)
  const time = hex(start, 12)
  // Version 7, then the variant 10xx.
  const id = `${time.slice(0, 8)}-${time.slice(8)}-7${hex(a >>> 20, 3)}-${hex(0x8000 | (a & 0x3fff), 4)}-${hex(b, 8)}${hex(c >>> 16, 4)}`
  last = { start, who, identity: ctx.identity, id }
  return id
}
