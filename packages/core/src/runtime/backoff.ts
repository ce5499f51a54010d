export interface BackoffPolicy {
  baseMs: number
  maxMs: number
  maxAttempts: number
  /**
   * First wait after a 429 that names no Retry-After (Mixpanel sheds load that way), doubling from there
   * up to `maxMs`: a rate limit needs a pause, not a blip. Without it, `baseMs`.
   */
  rateLimitedMs?: number
}

export const DEFAULT_BACKOFF: BackoffPolicy = {
  baseMs: 500,
  maxMs: 60_000,
  maxAttempts: 10,
  rateLimitedMs: 30_000,
}

/** Why a retry waits: what the server asked for, and whether it was a rate limit. */
export interface RetryReason {
  retryAfterMs?: number | undefined
  rateLimited?: boolean | undefined
}

/**
 * Exponential backoff with full jitter (AWS's recommendation: spreads retries of many clients).
 * A server's Retry-After wins when it asks for longer; a rate limit without one starts at `rateLimitedMs`.
 */
export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy,
  reason: RetryReason = {},
  random: () => number = Math.random,
): number {
  const { retryAfterMs, rateLimited } = reason
  const base = rateLimited ? (policy.rateLimitedMs ?? policy.baseMs) : policy.baseMs
  const ceiling = Math.min(policy.maxMs, base * 2 ** Math.max(0, attempt - 1))
  const jittered = Math.round(ceiling / 2 + (random() * ceiling) / 2)
  return retryAfterMs !== undefined ? Math.max(retryAfterMs, Math.min(jittered, policy.baseMs)) : jittered
}

export interface Clock {
  now(): number
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason)
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }, ms)
      const onAbort = () => {
        clearTimeout(timer)
        reject(signal?.reason)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
    }),
}
