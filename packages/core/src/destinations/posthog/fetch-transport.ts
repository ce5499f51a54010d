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

const COMMA = Buffer.from(',')
const SUFFIX = Buffer.from(']}')

/** `prefix` + lines joined by commas + `]}`, from the lines' bytes when the batch carries them. */
function concatBody(prefix: Buffer, batch: EventBatch): Buffer {
  const lines = batch.raw ?? batch.lines.map((l) => Buffer.from(l, 'utf8'))
  const parts: Uint8Array[] = [prefix]
  lines.forEach((line, i) => {
    if (i > 0) parts.push(COMMA)
    parts.push(line)
  })
  parts.push(SUFFIX)
  return Buffer.concat(parts)
}

/**
 * ph-import's own /batch/ sender. Staged lines are already the final JSON of each event, so the body is
 * concatenated around them, never parsed or re-serialized. No `sent_at`: capture would shift every
 * timestamp by (now - sent_at) and a resend would land at a different instant.
 */
export function createFetchTransport(options: TransportOptions): Transport {
  const url = `${options.host}/batch/`
  const prefix = Buffer.from(
    `{"api_key":${JSON.stringify(options.apiKey)},"historical_migration":true,"batch":[`,
  )
  return async (batch, signal) => {
    const json = concatBody(prefix, batch)
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
