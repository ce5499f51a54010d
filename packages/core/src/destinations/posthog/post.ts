import { promisify } from 'node:util'
import { gzip } from 'node:zlib'
import { classifyNetworkError, classifyResponse } from './classify.js'

const gzipAsync = promisify(gzip)

/**
 * Level 1: JSON event lines still shrink ~8-10x, at a fraction of the CPU of the default level 6
 * (zlib's async API runs on the libuv thread pool, so compression overlaps the network).
 */
export function gzipBody(body: string | Buffer): Promise<Buffer> {
  // 256 KB output chunks: a 2 MB body compresses in one or two thread-pool round trips instead of ~15;
  // memLevel 9 deflates event JSON ~7% faster than the default 8 for 256 KB more memory per request.
  return gzipAsync(body, { level: 1, memLevel: 9, chunkSize: 1 << 18 })
}

export interface PostOptions {
  url: string
  body: string | Uint8Array
  gzipped: boolean
  timeoutMs: number
  /** The runtime's signal (stop the job) and, for posthog-node, its own per-request signal. */
  signals: readonly AbortSignal[]
  /** Names the target in error messages: never carries the key. */
  where: string
  redact: (text: string) => string
}

export interface PostResult {
  status: number
  body: string
  headers: Headers
}

/**
 * One POST to capture with global fetch (undici: keep-alive connection pool). Resolves on 2xx with the
 * response; throws a classified error otherwise (the runtime decides whether and when to resend).
 */
export async function postToCapture(options: PostOptions): Promise<PostResult> {
  const timeout = AbortSignal.timeout(options.timeoutMs)
  const signal = AbortSignal.any([...options.signals, timeout])
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'ph-import' }
  if (options.gzipped) headers['content-encoding'] = 'gzip'
  let response: Response
  let body: string
  try {
    response = await fetch(options.url, { method: 'POST', headers, body: options.body, signal })
    // The body read is inside the timeout too: a server that stalls mid-answer is a timeout.
    body = await response.text()
  } catch (error) {
    const stopped = options.signals.find((s) => s.aborted)
    if (stopped) throw stopped.reason
    throw classifyNetworkError(options.where, error, timeout.aborted ? options.timeoutMs : undefined)
  }
  if (response.status >= 200 && response.status < 300) {
    return { status: response.status, body, headers: response.headers }
  }
  throw classifyResponse(
    options.where,
    { status: response.status, body, retryAfter: response.headers.get('retry-after') },
    options.redact,
  )
}
