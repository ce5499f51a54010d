/**
 * Errors are named for what the runtime does with them, not for where they came from:
 * fatal stops the job with checkpoints intact, retriable backs off and tries again,
 * a config error is the user's to fix (exit 2).
 */
export type ErrorKind =
  | 'config'
  | 'fatal'
  | 'retriable'
  | 'too_large'
  | 'rejected_events'
  | 'split_partition'
  | 'aborted'
  | 'error'

export class PhImportError extends Error {
  /**
   * Checked instead of `instanceof`: a connector installed as a plugin may carry its own copy of
   * @ph-import/core, and classes from two copies never match.
   */
  readonly kind: ErrorKind = 'error'
  /** What the user should do next; printed under the message. */
  readonly hint: string | undefined
  constructor(message: string, options: { cause?: unknown; hint?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.hint = options.hint
  }
}

/** Bad flags, config or mapping: nothing was started; exit code 2. */
export class ConfigError extends PhImportError {
  override readonly kind = 'config' as const
}

/**
 * 401/402/403 and the like: retrying cannot help. The job stops, checkpoints stay valid. `transient` marks
 * giving up on a failure that may pass (a host that kept failing or could not be reached): the same
 * command run later resumes, and the CLI exits 75 so a scheduler can tell it from one that needs a person.
 */
export class FatalError extends PhImportError {
  override readonly kind = 'fatal' as const
  readonly transient: boolean
  constructor(message: string, options: { cause?: unknown; hint?: string; transient?: boolean } = {}) {
    super(message, options)
    this.transient = options.transient ?? false
  }
}

/** 429, 5xx, resets, truncated downloads: back off and retry, honouring retryAfterMs when given. */
export class RetriableError extends PhImportError {
  override readonly kind = 'retriable' as const
  readonly retryAfterMs: number | undefined
  /** True when the remote told us to slow down (429): the runtime lowers its rate, not just waits. */
  readonly rateLimited: boolean
  constructor(
    message: string,
    options: { cause?: unknown; hint?: string; retryAfterMs?: number; rateLimited?: boolean } = {},
  ) {
    super(message, options)
    this.retryAfterMs = options.retryAfterMs
    this.rateLimited = options.rateLimited ?? false
  }
}

/** The destination refused the batch as too large (413): the runtime halves it and resends. */
export class BatchTooLargeError extends PhImportError {
  override readonly kind = 'too_large' as const
}

/**
 * The destination refused the batch because some events in it are invalid (PostHog answers 400 for
 * the whole request). `indexes` lists the culprits when known; otherwise the runtime bisects.
 */
export class RejectedEventsError extends PhImportError {
  override readonly kind = 'rejected_events' as const
  readonly indexes: readonly number[] | undefined
  readonly serverMessage: string
  constructor(serverMessage: string, options: { indexes?: readonly number[]; cause?: unknown } = {}) {
    super(`destination rejected the batch: ${serverMessage}`, options)
    this.serverMessage = serverMessage
    this.indexes = options.indexes
  }
}

/**
 * Thrown by a source's export when a partition is too big to fetch in one go (Amplitude's 400 over
 * 4 GB, a 504): the runtime replaces the partition with these children in the plan and goes on.
 */
export class SplitPartition extends PhImportError {
  override readonly kind = 'split_partition' as const
  readonly into: readonly import('./source.js').Partition[]
  constructor(reason: string, into: readonly import('./source.js').Partition[]) {
    super(reason)
    this.into = into
  }
}

/** The user (or a signal) asked us to stop. */
export class AbortedError extends PhImportError {
  override readonly kind = 'aborted' as const
}

export function errorKind(error: unknown): ErrorKind | undefined {
  if (error === null || typeof error !== 'object') return undefined
  const kind = (error as { kind?: unknown }).kind
  return typeof kind === 'string' && error instanceof Error ? (kind as ErrorKind) : undefined
}

export function isRetriable(error: unknown): error is RetriableError {
  return errorKind(error) === 'retriable'
}
export function isFatal(error: unknown): error is FatalError {
  return errorKind(error) === 'fatal'
}
export function isConfigError(error: unknown): error is ConfigError {
  return errorKind(error) === 'config'
}
