import type { z } from 'zod'
import type { Logger } from '../util/logger.js'

/**
 * An ordered batch of events, already serialized as the exact JSON that goes on the wire:
 * the destination joins lines, it never re-parses or re-serializes them.
 */
export interface EventBatch {
  lines: readonly string[]
  /** Sum of the lines' UTF-8 byte lengths. */
  bytes: number
  /**
   * The same lines as UTF-8 bytes, present when the runtime read them from its staged files. A destination
   * that only concatenates lines (ph-import's fetch transport) should use these: `lines` is then decoded
   * lazily, on first access, and never if nobody asks.
   */
  raw?: readonly Uint8Array[]
}

/**
 * A destination acknowledges a batch by resolving, or throws a classified error from
 * `contracts/errors.ts`: RetriableError (with retryAfterMs), BatchTooLargeError,
 * RejectedEventsError, FatalError. Retries, splitting and bisection are the runtime's job.
 */
export interface Destination {
  readonly name: string
  /** Where events go, for the plan summary (never includes a key). */
  describe(): string
  /**
   * What tells apart destinations that `describe` alike (two PostHog projects behind one host): a digest,
   * never a key. Hashed into the job id and kept in the job's state, so an import into another project is
   * another job, not a resume of the first one's.
   */
  target?(): string
  send(batch: EventBatch, options: { signal: AbortSignal }): Promise<void>
  /**
   * Optional check, before the job exports anything, that what it sends would be kept: throws a FatalError
   * when it certainly would not (PostHog: a project key no project owns, which capture accepts and drops).
   * Resolves when all is well and when it cannot tell; `debug` receives why it could not.
   */
  check?(options: { signal: AbortSignal; debug: (message: string) => void }): Promise<void>
  /**
   * False for a destination with no rate limit to respect (a file): the job is then paced only if the
   * caller gives a `rate`. By default a job runs at PostHog's 1,000 events/s.
   */
  readonly paced?: boolean
  /**
   * Optional hint that `batch` is sent next, once a request slot frees up: a destination may start
   * encoding it now (the fetch transport builds and gzips the body), so the slot is not spent waiting for
   * that. Must not send anything; the same lines array then reaches `send`.
   */
  prepare?(batch: EventBatch): void
  close?(): Promise<void>
}

export interface DestinationContext {
  logger: Logger
}

export interface DestinationDefinition<Schema extends z.ZodType = z.ZodType> {
  name: string
  description: string
  config: Schema
  create(config: z.output<Schema>, ctx: DestinationContext): Destination
}

export function defineDestination<Schema extends z.ZodType>(
  definition: DestinationDefinition<Schema>,
): DestinationDefinition<Schema> {
  return definition
}
