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

export interface Transport {
  send(batch: EventBatch, signal: AbortSignal): Promise<void>
  /** See `Destination.prepare`. */
  prepare?(batch: EventBatch): void
}

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
  const encode = async (batch: EventBatch) => {
    const json = concatBody(prefix, batch)
    return options.gzip ? gzipBody(json) : json
  }
  // Bodies encoded ahead by `prepare`, keyed by the batch's lines array (the same array reaches `send`).
  const prepared = new WeakMap<object, Promise<Buffer>>()
  const prepare = (batch: EventBatch) => {
    const key = batch.raw ?? batch.lines
    if (prepared.has(key)) return
    const body = encode(batch)
    // Awaited by `send`; this handler only keeps an unsent batch's failure from being unhandled.
    body.catch(() => {})
    prepared.set(key, body)
  }
  const send = async (batch: EventBatch, signal: AbortSignal) => {
    const key = batch.raw ?? batch.lines
    const ready = prepared.get(key)
    prepared.delete(key)
    const body = await (ready ?? encode(batch))
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
  return { send, prepare }
}
