/**
 * A capture rejection. Messages are the Display texts of capture's CaptureError
 * (rust/capture/src/api.rs), so logs read like PostHog's; `index` points at the offending event.
 */
export class CaptureError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly index?: number,
  ) {
    super(message)
    this.name = 'CaptureError'
  }

  toBody(): Record<string, unknown> {
    const body: Record<string, unknown> = { type: 'capture_error', code: this.code, error: this.message }
    if (this.index !== undefined) body.index = this.index
    return body
  }
}

export const decodingError = (detail: string) =>
  new CaptureError(400, 'RequestDecodingError', `failed to decode request: ${detail}`)
export const parsingError = (detail: string, index?: number) =>
  new CaptureError(400, 'RequestParsingError', `failed to parse request: ${detail}`, index)
export const emptyBatch = () => new CaptureError(400, 'EmptyBatch', 'request holds no event')
export const missingEventName = (index: number) =>
  new CaptureError(400, 'MissingEventName', 'event submitted with an empty event name', index)
export const missingDistinctId = (index: number) =>
  new CaptureError(400, 'MissingDistinctId', 'event submitted without a distinct_id', index)
export const emptyDistinctId = (index: number) =>
  new CaptureError(400, 'EmptyDistinctId', 'event submitted with an empty distinct_id', index)
// Newer capture answers EventTooBig with 413, which is also what makes posthog-node split its batch.
export const eventTooBig = (detail: string, index?: number) =>
  new CaptureError(413, 'EventTooBig', `maximum event size exceeded: ${detail}`, index)
export const payloadTooLarge = (limit: number) =>
  new CaptureError(413, 'PayloadTooLarge', `request body exceeds the limit of ${limit} bytes`)
export const noToken = () => new CaptureError(401, 'NoTokenError', 'event submitted without an api_key')
export const multipleTokens = () =>
  new CaptureError(401, 'MultipleTokensError', 'batch submitted with inconsistent api_key values')
export const invalidToken = (reason: string) =>
  new CaptureError(401, 'TokenValidationError', `API key is not valid: ${reason}`)
export const retryable = () => new CaptureError(503, 'RetryableSinkError', 'transient error, please retry')
export const rateLimited = () => new CaptureError(429, 'RateLimited', 'rate limited')

/** Capture's own answer to a key no project owns is a 200; such a request is logged with this note. */
export const UNKNOWN_KEY_NOTE = 'unknown project API key: answered 200, events dropped'
