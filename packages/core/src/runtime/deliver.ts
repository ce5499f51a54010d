import type { Destination } from '../contracts/destination.js'
import {
  errorKind,
  FatalError,
  type PhImportError,
  type RejectedEventsError,
  type RetriableError,
} from '../contracts/errors.js'
import { type BackoffPolicy, backoffDelay, type Clock } from './backoff.js'
import { eventBatch, type WireLine } from './event-batch.js'
import type { RateLimiter } from './rate-limiter.js'

export interface DeadLetter {
  /** Index into the delivered lines. */
  index: number
  code: string
  message: string
}

export interface DeliverOptions {
  destination: Destination
  limiter: RateLimiter
  /** Optional ceiling on requests (e.g. a proxy's requests/min), on top of the events/s limiter. */
  requestLimiter?: RateLimiter | undefined
  backoff: BackoffPolicy
  clock: Clock
  signal: AbortSignal
  onRetry?(error: PhImportError, attempt: number, delayMs: number): void
  /** Called for each request actually sent (after rate limiting), for stats. */
  onRequest?(events: number): void
  /**
   * Shared across batches: whether the destination has acknowledged anything in this run. A host that
   * has never answered and refuses connections is a wrong host, not a hiccup: fail fast instead of
   * backing off for minutes.
   */
  reach?: { acknowledged: boolean }
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'])
/** Attempts before a host that never answered in this run is taken as a wrong host (destination or source). */
export const UNREACHABLE_ATTEMPTS = 3

/** The network error code somewhere in an error's cause chain (fetch wraps it twice). */
export function networkCode(error: unknown): string | undefined {
  let current: unknown = error
  for (let depth = 0; depth < 6 && current; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return code
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}

/** Never aborted: see `deliver`. */
const IN_FLIGHT = new AbortController().signal

/**
 * Delivers an ordered batch or dead-letters what cannot be delivered; never drops an event silently.
 * 429/5xx/resets: retry the same lines (same uuids, so a resend after a partial write is harmless);
 * 413: halve; 400: bisect down to the poison events and dead-letter them with the server's message.
 */
export async function deliver(
  lines: readonly WireLine[],
  opts: DeliverOptions,
  offset = 0,
): Promise<DeadLetter[]> {
  if (lines.length === 0) return []
  let attempt = 0
  for (;;) {
    attempt++
    await opts.limiter.acquire(lines.length, opts.signal)
    await opts.requestLimiter?.acquire(1, opts.signal)
    opts.onRequest?.(lines.length)
    try {
      // A stop (Ctrl-C) lets a request already on the wire finish and be checkpointed: aborting it could leave
      // the destination holding a batch we never saw acknowledged, sent again (duplicated) on resume. The
      // destination's own request timeout bounds the wait.
      await opts.destination.send(eventBatch(lines), { signal: IN_FLIGHT })
      // From now on a refused connection is an outage to wait out (a restart, a deploy), not a wrong host.
      if (opts.reach) opts.reach.acknowledged = true
      return []
    } catch (error) {
      if (opts.signal.aborted) throw opts.signal.reason
      const kind = errorKind(error)
      if (kind === 'too_large') {
        if (lines.length === 1) {
          return [{ index: offset, code: 'too_large', message: (error as Error).message }]
        }
        return splitAndDeliver(lines, opts, offset)
      }
      if (kind === 'rejected_events') {
        const rejected = error as RejectedEventsError
        if (lines.length === 1)
          return [{ index: offset, code: 'destination_rejected', message: rejected.serverMessage }]
        if (rejected.indexes && rejected.indexes.length > 0) {
          const bad = new Set(rejected.indexes)
          const dead: DeadLetter[] = [...bad].map((i) => ({
            index: offset + i,
            code: 'destination_rejected',
            message: rejected.serverMessage,
          }))
          // Deliver the others in order; they may hold more bad events the server did not name.
          const rest: WireLine[] = []
          const restIndex: number[] = []
          lines.forEach((l, i) => {
            if (!bad.has(i)) {
              rest.push(l)
              restIndex.push(i)
            }
          })
          const more = await deliver(rest, opts, 0)
          return [...dead, ...more.map((d) => ({ ...d, index: offset + restIndex[d.index]! }))].sort(
            (a, b) => a.index - b.index,
          )
        }
        return splitAndDeliver(lines, opts, offset)
      }
      if (kind === 'retriable') {
        const retriable = error as RetriableError
        if (retriable.rateLimited) {
          opts.limiter.onRateLimited(retriable.retryAfterMs)
          opts.requestLimiter?.onRateLimited(retriable.retryAfterMs)
        }
        const unreachable = opts.reach && !opts.reach.acknowledged ? networkCode(error) : undefined
        if (unreachable && attempt >= UNREACHABLE_ATTEMPTS) {
          // Not transient: a host that never answered in this run is more often a wrong one than a down one.
          throw new FatalError(`cannot reach ${opts.destination.describe()} (${unreachable})`, {
            cause: error,
            hint: 'check --posthog-host (and that the server is up), then re-run the same command: nothing was lost',
          })
        }
        if (attempt >= opts.backoff.maxAttempts) {
          throw new FatalError(
            `${opts.destination.describe()} kept failing after ${attempt} attempts: ${retriable.message}`,
            {
              cause: error,
              hint: 're-run the same command to resume from the last delivered batch',
              transient: true,
            },
          )
        }
        const delay = backoffDelay(attempt, opts.backoff, retriable)
        opts.onRetry?.(retriable, attempt, delay)
        await opts.clock.sleep(delay, opts.signal)
        continue
      }
      throw error
    }
  }
}

async function splitAndDeliver(lines: readonly WireLine[], opts: DeliverOptions, offset: number) {
  const mid = Math.ceil(lines.length / 2)
  const left = await deliver(lines.slice(0, mid), opts, offset)
  const right = await deliver(lines.slice(mid), opts, offset + mid)
  return [...left, ...right]
}
