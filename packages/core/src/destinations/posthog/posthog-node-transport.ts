import type { PostHog, PostHogOptions } from 'posthog-node'
import type { EventBatch } from '../../contracts/destination.js'
import {
  ConfigError,
  FatalError,
  type PhImportError,
  RejectedEventsError,
  RetriableError,
} from '../../contracts/errors.js'
import type { Transport, TransportOptions } from './fetch-transport.js'
import { gzipBody, postToCapture } from './post.js'

type FetchLike = NonNullable<PostHogOptions['fetch']>

/** posthog-node's getEventUuid: anything else is silently replaced by a fresh UUIDv7 (no idempotency). */
const SDK_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const CAPTURE_FIELDS = new Set(['event', 'distinct_id', 'uuid', 'timestamp', 'properties'])

type ClientClass = new (apiKey: string, options: PostHogOptions) => PostHog

let clientClass: Promise<ClientClass> | undefined

/**
 * Loaded on first use: importing posthog-node costs ~100 ms at startup, paid only by this transport.
 * posthog-node merges `$lib`/`$lib_version` (and `$is_server`) over every event's own properties
 * (`getCommonEventProperties`); an imported event keeps the properties the source gave it.
 */
function importingClientClass(): Promise<ClientClass> {
  clientClass ??= import('posthog-node').then(
    ({ PostHog: Base }) =>
      class ImportingPostHog extends Base {
        protected override getCommonEventProperties(): Record<string, never> {
          return {}
        }
      },
  )
  return clientClass
}

interface CaptureInput {
  event: string
  distinct_id: string
  uuid: string
  timestamp: string
  properties?: Record<string, unknown>
}

/** Events posthog-node would alter silently (new uuid, invented distinct id, "now" timestamp, lost fields). */
function unsendable(event: Record<string, unknown>): string | undefined {
  if (typeof event.uuid !== 'string' || !SDK_UUID.test(event.uuid)) return 'uuid is not a UUID'
  if (typeof event.distinct_id !== 'string' || event.distinct_id === '') return 'distinct_id is missing'
  if (typeof event.timestamp !== 'string') return 'timestamp is missing'
  const extra = Object.keys(event).find((k) => !CAPTURE_FIELDS.has(k))
  if (extra) return `top-level field "${extra}" cannot be sent by posthog-node (use the fetch transport)`
  return undefined
}

/**
 * posthog-node adds `sent_at: now` to every /batch/ body, and capture then shifts each timestamp by
 * (server now - sent_at): a resend would land at another instant. The field is the body's tail in
 * posthog-node 5 (`{api_key, batch, sent_at, historical_migration}`); anything else is parsed.
 */
export function stripSentAt(body: string): string {
  const tail = /,"sent_at":"[^"]*"(,"historical_migration":true)?}$/.exec(body)
  if (tail) return `${body.slice(0, tail.index)}${tail[1] ?? ''}}`
  if (!body.includes('"sent_at"')) return body
  const parsed = JSON.parse(body) as Record<string, unknown>
  delete parsed.sent_at
  return JSON.stringify(parsed)
}

/**
 * The official client, configured so it cannot drop or alter events. One client per batch: after a
 * failed flush, posthog-node keeps a batch queued on network errors (and drops it on HTTP errors);
 * the runtime resends the same lines itself, so the client and its queue are discarded instead.
 * Its `fetch` option sends through our poster, which records the classified error so a failure is
 * reported exactly like the fetch transport's (flush() only rejects with a generic wrapper).
 */
export function createPostHogNodeTransport(options: TransportOptions): Transport {
  // The opt-in "capture v1" route is another wire format with its own sender and retries; what this
  // transport guarantees (no sent_at, one request per batch, classified errors) is verified for /batch/ only.
  if (process.env.POSTHOG_CAPTURE_MODE === 'v1') {
    throw new ConfigError(
      'the posthog-node transport needs the /batch/ route, but POSTHOG_CAPTURE_MODE=v1 is set',
      {
        hint: 'unset POSTHOG_CAPTURE_MODE or use --transport fetch',
      },
    )
  }
  const send = async (batch: EventBatch, signal: AbortSignal) => {
    if (signal.aborted) throw signal.reason
    const events: CaptureInput[] = []
    const bad: number[] = []
    const reasons = new Set<string>()
    batch.lines.forEach((line, i) => {
      const event = JSON.parse(line) as Record<string, unknown>
      const reason = unsendable(event)
      if (reason) {
        bad.push(i)
        reasons.add(reason)
      } else events.push(event as unknown as CaptureInput)
    })
    if (bad.length > 0) throw new RejectedEventsError([...reasons].join('; '), { indexes: bad })

    let failure: PhImportError | undefined
    const send: FetchLike = async (url, init) => {
      try {
        const json = stripSentAt(String(init.body ?? ''))
        const result = await postToCapture({
          url,
          body: options.gzip ? await gzipBody(json) : json,
          gzipped: options.gzip,
          timeoutMs: options.timeoutMs,
          signals: init.signal ? [signal, init.signal] : [signal],
          where: options.where,
          redact: options.redact,
        })
        return new Response(result.body, { status: result.status, headers: result.headers })
      } catch (error) {
        if ((error as { kind?: unknown }).kind !== undefined) failure = error as PhImportError
        throw error
      }
    }
    const ImportingPostHog = await importingClientClass()
    const client = new ImportingPostHog(options.apiKey, {
      host: options.host,
      historicalMigration: true,
      // Never flush in the background, never overflow the queue, one request per batch.
      flushAt: batch.lines.length + 1,
      flushInterval: 0,
      maxQueueSize: batch.lines.length + 1,
      maxBatchSize: batch.lines.length,
      // The runtime retries with backoff and Retry-After; posthog-node's fixed-delay retries would drop.
      fetchRetryCount: 0,
      // Our own timeout (in postToCapture) fires first and is classified; this one is a backstop.
      requestTimeout: options.timeoutMs + 5_000,
      // Our gzip runs after sent_at is removed.
      disableCompression: true,
      isServer: false,
      disableGeoip: false,
      fetch: send,
    })
    for (const e of events) {
      client.capture({
        distinctId: e.distinct_id,
        event: e.event,
        properties: e.properties ?? {},
        uuid: e.uuid,
        // A string keeps sub-millisecond digits (normalizeTimestampForWire); a Date would cut them.
        timestamp: e.timestamp as unknown as Date,
        // Only add $geoip_disable where the event already has it; otherwise leave properties alone.
        disableGeoip: e.properties?.$geoip_disable === true,
      })
    }
    let sent = 0
    client.on('flush', (messages: unknown) => {
      sent += Array.isArray(messages) ? messages.length : 0
    })
    try {
      await client.flush()
    } catch (error) {
      if (signal.aborted) throw signal.reason
      throw failure ?? new RetriableError(`${options.where}: posthog-node flush failed`, { cause: error })
    }
    // flush() resolving is not proof: an event that failed to enqueue is only logged by the SDK.
    if (sent !== events.length) {
      throw new FatalError(
        `${options.where}: posthog-node sent ${sent} of ${events.length} events of a batch`,
        {
          hint: 'use --transport fetch',
        },
      )
    }
  }
  return { send }
}
