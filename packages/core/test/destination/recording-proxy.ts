import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gunzipSync } from 'node:zlib'

export interface RecordedRequest {
  path: string
  headers: IncomingHttpHeaders
  /** The body as the server decodes it (gunzipped when it was gzipped). */
  body: string
}

export interface RecordingProxy {
  url: string
  requests: RecordedRequest[]
  close(): Promise<void>
}

/**
 * A pass-through HTTP server in front of the sandbox that keeps every request body as it went over the
 * wire. `hideRejectedIndex` removes the sandbox's `index` from 400 answers, as real PostHog names no
 * culprit, so the runtime has to bisect. `corruptBodies` cuts the bodies it forwards while it answers true.
 */
export async function startRecordingProxy(
  target: string,
  options: { hideRejectedIndex?: boolean; corruptBodies?: () => boolean } = {},
): Promise<RecordingProxy> {
  const requests: RecordedRequest[] = []
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const raw = Buffer.concat(chunks)
    const gzipped = raw[0] === 0x1f && raw[1] === 0x8b
    requests.push({
      path: req.url ?? '/',
      headers: req.headers,
      body: (gzipped ? gunzipSync(raw) : raw).toString('utf8'),
    })
    const headers: Record<string, string> = {}
    for (const [k, v] of Object.entries(req.headers)) {
      if (typeof v === 'string' && k !== 'host' && k !== 'content-length' && k !== 'connection')
        headers[k] = v
    }
    try {
      // A proxy that mangles bodies: the gzip stream cut in half.
      const forwarded = options.corruptBodies?.() ? raw.subarray(0, raw.length >> 1) : raw
      const upstream = await fetch(new URL(req.url ?? '/', target), {
        method: req.method ?? 'POST',
        headers,
        body: forwarded,
      })
      let body = await upstream.text()
      if (options.hideRejectedIndex && upstream.status === 400) {
        const json = JSON.parse(body) as Record<string, unknown>
        delete json.index
        body = JSON.stringify(json)
      }
      const out: Record<string, string> = { 'content-type': 'application/json' }
      const retryAfter = upstream.headers.get('retry-after')
      if (retryAfter) out['retry-after'] = retryAfter
      res.writeHead(upstream.status, out).end(body)
    } catch {
      res.destroy()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
