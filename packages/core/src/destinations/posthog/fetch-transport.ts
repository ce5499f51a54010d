import type { EventBatch } from '../../contracts/destination.js'
import { gzipBody, postToCapture } from './post.js'

export interface TransportOptions {
  /** Ingestion base URL, no trailing slash. */
  host: string
  apiKey: string
  timeoutMs: number
  gzip: boolean
  where: string
  redact: (text: string) => string
}

export type Transport = (batch: EventBatch, signal: AbortSignal) => Promise<void>

/**
 * ph-import's own /batch/ sender. Staged lines are already the final JSON of each event, so the body is
 * concatenated around them, never parsed or re-serialized. No `sent_at`: capture would shift every
 * timestamp by (now - sent_at) and a resend would land at a different instant.
 */
export function createFetchTransport(options: TransportOptions): Transport {
  const url = `${options.host}/batch/`
  const prefix = `{"api_key":${JSON.stringify(options.apiKey)},"historical_migration":true,"batch":[`
  return async (batch, signal) => {
    const json = `${prefix}${batch.lines.join(',')}]}`
    const body = options.gzip ? await gzipBody(json) : json
    await postToCapture({
      url,
      body,
      gzipped: options.gzip,
      timeoutMs: options.timeoutMs,
      signals: [signal],
      where: options.where,
      redact: options.redact,
    })
  }
}
