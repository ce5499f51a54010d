import got, { type Got, type HandlerFunction, HTTPError, RequestError } from 'got'
import { FatalError, PhImportError, RetriableError } from '../contracts/errors.js'
import type { SourceLimits } from '../contracts/source.js'
import { takeTogether, WindowBudget } from './rate-limiter.js'
import { RequestSlots } from './request-slots.js'

/** Retry-After is seconds or an HTTP date (RFC 9110); undefined when absent or unreadable. */
export function parseRetryAfter(
  value: string | string[] | undefined | null,
  now = Date.now(),
): number | undefined {
  const v = Array.isArray(value) ? value[0] : value
  if (!v) return undefined
  const seconds = Number(v)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(v)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

const RETRIABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ERR_STREAM_PREMATURE_CLOSE',
  'Z_BUF_ERROR',
  'Z_DATA_ERROR',
  'ERR_GOT_REQUEST_ERROR',
  'UND_ERR_SOCKET',
])

/**
 * Turns whatever an export threw into what the runtime should do with it. Connectors let HTTP errors
 * propagate; only API quirks (Amplitude's 404 = empty window) are theirs to handle.
 */
export function classifySourceError(error: unknown, where: string): PhImportError {
  if (error instanceof PhImportError || (error instanceof Error && 'kind' in error))
    return error as PhImportError
  // A connector that wraps the HTTP error (`new Error('page 3', { cause })`, as authoring.md asks) must not
  // turn a 401 into ten retries or a 429 into a short backoff: the cause decides, the wrapper adds words.
  const inner = httpCause(error)
  if (inner !== undefined) {
    const classified = classifySourceError(inner, where)
    Object.defineProperty(classified, 'message', {
      value: `${classified.message} (${(error as Error).message})`,
    })
    return classified
  }
  if (error instanceof HTTPError) {
    const status = error.response.statusCode
    const body = String(error.response.body ?? '').slice(0, 300)
    if (status === 401 || status === 403) {
      return new FatalError(`${where}: HTTP ${status}, the credentials were refused`, {
        cause: error,
        hint: 'check the API key/secret, project id and region',
      })
    }
    if (status === 402) {
      return new FatalError(`${where}: HTTP 402, the account's plan does not allow API access`, {
        cause: error,
      })
    }
    if (status === 429) {
      const retryAfterMs = parseRetryAfter(error.response.headers['retry-after'])
      return new RetriableError(`${where}: HTTP 429, rate limited`, {
        cause: error,
        rateLimited: true,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      })
    }
    if (status === 408 || status >= 500) {
      // A 503 may say when to come back, as a 429 does.
      const retryAfterMs = parseRetryAfter(error.response.headers['retry-after'])
      return new RetriableError(`${where}: HTTP ${status} ${body}`.trim(), {
        cause: error,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      })
    }
    return new FatalError(`${where}: HTTP ${status} ${body}`.trim(), { cause: error })
  }
  const code = (error as { code?: string } | undefined)?.code
  if (error instanceof RequestError || (code && RETRIABLE_CODES.has(code))) {
    return new RetriableError(`${where}: ${(error as Error).message}`, { cause: error })
  }
  // Unknown failures (a truncated archive, a parser error on a cut stream) are retried a bounded
  // number of times; a bug will then fail the partition with its message rather than spin.
  return new RetriableError(`${where}: ${(error as Error)?.message ?? String(error)}`, { cause: error })
}

/** The HTTP error a wrapper was given as its cause (a few levels deep), if it is not one itself. */
function httpCause(error: unknown): HTTPError | RequestError | undefined {
  if (error instanceof RequestError || !(error instanceof Error)) return undefined
  let cause: unknown = error.cause
  for (let depth = 0; depth < 5 && cause instanceof Error; depth++) {
    if (cause instanceof PhImportError) return undefined
    if (cause instanceof RequestError) return cause
    cause = cause.cause
  }
  return undefined
}

export interface SourceHttpOptions {
  limits?: SourceLimits | undefined
  /** Request times already spent in the current hour (persisted across runs). */
  spent?: number[]
  onRequest?(): void
  /** Called when a server answers (any status): the host is reachable. */
  onResponse?(): void
  userAgent?: string
}

/**
 * The `ctx.http` given to connectors: got with its own retries off (the runtime retries whole pages
 * with backoff), timeouts on, and the source's request budget applied before every request.
 */
export function createSourceHttp(options: SourceHttpOptions): { http: Got; spent: () => number[] } {
  const hourly = options.limits?.requestsPerHour
    ? new WindowBudget(options.limits.requestsPerHour, 3_600_000, options.spent ?? [])
    : undefined
  const perSecond = options.limits?.requestsPerSecond
    ? new WindowBudget(options.limits.requestsPerSecond, 1000, options.spent ?? [])
    : undefined
  const budgets = [hourly, perSecond].filter((b): b is WindowBudget => b !== undefined)
  const slots = options.limits?.concurrency ? new RequestSlots(options.limits.concurrency) : undefined
  const http = got.extend({
    retry: { limit: 0 },
    timeout: { connect: 30_000, response: 300_000 },
    headers: { 'user-agent': options.userAgent ?? 'ph-import' },
    hooks: {
      beforeRequest: [
        async (req) => {
          const signal = req.signal as AbortSignal | undefined
          // The slot first: a request queued behind the concurrency limit must not have spent its share
          // of the per-second budget while it waited, or the queue would go out as one burst. A redirect
          // runs this again with the same call's token, which already holds its slot.
          const token = slotToken(req.context)
          if (slots && token && !token.held) {
            await slots.acquire(signal)
            // The call ended while it waited (a stream destroyed, a promise cancelled): the slot goes back.
            if (token.over) {
              slots.release()
              throw new Error('the request ended before it was sent')
            }
            token.held = true
          }
          // `context.budget: false` lets a connector make a call its API does not count (Engage pages > 0).
          if ((req.context as { budget?: boolean } | undefined)?.budget === false) return
          await takeTogether(budgets, signal)
          options.onRequest?.()
        },
      ],
      afterResponse: [
        (response) => {
          options.onResponse?.()
          return response
        },
      ],
      // got throws HTTPError for a 4xx/5xx without running afterResponse hooks on some paths: count those too.
      beforeError: [
        (error) => {
          if (error.response) options.onResponse?.()
          return error
        },
      ],
    },
    handlers: slots ? [releaseSlotWhenDone(slots)] : [],
  })
  return { http, spent: () => hourly?.snapshot() ?? [] }
}

/** Whether a call holds a slot: one per call, in its context, which got copies into a redirect's options. */
interface SlotToken {
  held: boolean
  /** The call is over (it may end while still queued for a slot). */
  over?: boolean
}
const SLOT = 'phImportSlot'
const slotToken = (context: unknown) => (context as Record<string, SlotToken | undefined> | undefined)?.[SLOT]

/**
 * Gives the call a slot token, and the slot back once the call is over: a stream when it ends, fails or
 * is destroyed (a response body read to its end, or abandoned), a promise when it settles.
 */
function releaseSlotWhenDone(slots: RequestSlots): HandlerFunction {
  return (options, next) => {
    const token: SlotToken = { held: false }
    options.context = { ...options.context, [SLOT]: token }
    const release = () => {
      token.over = true
      if (!token.held) return
      token.held = false
      slots.release()
    }
    const result = next(options)
    if (options.isStream) {
      const stream = result as NodeJS.ReadableStream
      for (const event of ['end', 'error', 'close']) stream.once(event, release)
    } else {
      ;(result as Promise<unknown>).then(release, release)
    }
    return result
  }
}
