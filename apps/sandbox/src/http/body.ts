import type { IncomingMessage } from 'node:http'
import { gunzipSync } from 'node:zlib'
import { decodingError, payloadTooLarge } from '../capture/errors.js'

// Past this many times the limit we stop draining and cut the connection: nobody legitimate sends that.
const DRAIN_FACTOR = 4

/**
 * Reads a request body, keeping at most `limit` bytes. An oversized body is drained (so the client
 * can read our 413 instead of a broken pipe) and reported as PayloadTooLarge.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= limit) chunks.push(chunk)
      else if (size > limit * DRAIN_FACTOR) req.destroy()
    })
    req.on('end', () =>
      size > limit ? reject(payloadTooLarge(limit)) : resolve(Buffer.concat(chunks, size)),
    )
    req.on('error', reject)
    req.on('close', () => {
      if (!req.complete) reject(new Error('request aborted'))
    })
  })
}

function isGzip(body: Buffer): boolean {
  return body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b
}

/**
 * Capture detects gzip by its magic bytes whatever the headers say (payload/common.rs); we also honour
 * `Content-Encoding: gzip` and the `compression=gzip|gzip-js` query hint, as it does.
 * The limit applies after decompression too ("exceeded during unzipping").
 */
export function decodeBody(
  body: Buffer,
  contentEncoding: string | undefined,
  hint: string | null,
  limit: number,
) {
  const declared = contentEncoding?.toLowerCase().includes('gzip') || hint === 'gzip' || hint === 'gzip-js'
  if (!isGzip(body) && !declared) return body
  try {
    return gunzipSync(body, { maxOutputLength: limit })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw payloadTooLarge(limit)
    throw decodingError(`invalid gzip data (${(error as Error).message})`)
  }
}
