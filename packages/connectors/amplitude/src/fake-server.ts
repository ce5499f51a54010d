import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type FakeAmplitudeRow, type FakeDataOptions, generateAmplitudeRows } from './fake-data.js'
import { buildExportZip } from './fake-zip.js'
import { completeBefore, HOUR_MS, parseHour } from './hours.js'

export interface FakeAmplitudeKnobs {
  /** "Now" for the 2-hour completeness rule; default the real clock. */
  now?: Date
  apiKey?: string
  secretKey?: string
  /** Status for bad credentials: Airbyte's connector expects 403; 401 is possible. Default 403. */
  authFailureStatus?: 401 | 403
  /** Uncompressed JSON bytes above which a window answers 400 "too large" (Amplitude: 4 GB). */
  maxBytes?: number
  /** Windows answering 504 (Amplitude's "large data, timeout"). */
  gatewayTimeout?: (window: { start: string; end: string; hours: number }) => boolean
  /** Requests numbered (after, after + count] answer 429 with Retry-After. */
  rateLimit?: { after: number; count?: number; retryAfterSeconds?: number }
  /** The first K requests of each window answer 503, as a busy export server does. */
  serverErrorsFirst?: number
  /** The first K downloads of each window: half the zip, then the connection is reset mid-body. */
  resetFirst?: number
  /** The first K downloads of each window send a zip cut in half. */
  truncateFirst?: number
  /** The first K downloads of each window carry one corrupt gzip entry. */
  corruptGzipFirst?: number
  rowsPerPart?: number
  partBase?: 0 | 1
}

export type FakeAmplitudeOptions = FakeDataOptions & FakeAmplitudeKnobs & { port?: number }

export interface FakeAmplitudeRequest {
  start: string
  end: string
  status: number
  rows: number
}

export interface FakeAmplitude {
  url: string
  apiKey: string
  secretKey: string
  /** Every generated row, hidden or not, in upload order. */
  events(): readonly FakeAmplitudeRow[]
  /** Rows a complete export of [first, last] upload hours returns (honours the hidden recent hours). */
  exportable(startHour: string, endHour: string): FakeAmplitudeRow[]
  requests(): readonly FakeAmplitudeRequest[]
  /** Change knobs at runtime (undefined turns one off); counters are kept until `reset()`. */
  set(knobs: { [K in keyof FakeAmplitudeKnobs]?: FakeAmplitudeKnobs[K] | undefined }): void
  reset(): void
  close(): Promise<void>
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', ...headers })
  res.end(text)
}

/** A local Amplitude Export API (`GET /api/2/export`) serving seeded data, with faults on demand. */
export async function startFakeAmplitude(options: FakeAmplitudeOptions): Promise<FakeAmplitude> {
  const rows = generateAmplitudeRows(options)
  const projectId = options.projectId ?? 187520
  let knobs: FakeAmplitudeKnobs = { apiKey: 'amp_key', secretKey: 'amp_secret', ...options }
  let requestCount = 0
  let log: FakeAmplitudeRequest[] = []
  let downloads = new Map<string, number>()
  /** Requests per window, failed ones included (`serverErrorsFirst`); `downloads` counts zips sent. */
  let tried = new Map<string, number>()
  const visible = (firstMs: number, lastMs: number) => {
    const ceiling = Math.min(lastMs + HOUR_MS, completeBefore(knobs.now ?? new Date()))
    const lo = new Date(firstMs).toISOString().replace('T', ' ')
    const hi = new Date(ceiling).toISOString().replace('T', ' ')
    return rows.filter((r) => r.server_upload_time >= lo && r.server_upload_time < hi)
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (req.method !== 'GET' || url.pathname !== '/api/2/export')
      return send(res, 404, { error: 'Not found' })
    requestCount++
    const start = url.searchParams.get('start') ?? ''
    const end = url.searchParams.get('end') ?? ''
    const record = (status: number, n = 0) => log.push({ start, end, status, rows: n })
    const expected = `Basic ${Buffer.from(`${knobs.apiKey}:${knobs.secretKey}`).toString('base64')}`
    if (req.headers.authorization !== expected) {
      record(knobs.authFailureStatus ?? 403)
      return send(res, knobs.authFailureStatus ?? 403, { error: 'Invalid API key or secret key' })
    }
    const rl = knobs.rateLimit
    if (rl && requestCount > rl.after && requestCount <= rl.after + (rl.count ?? Number.POSITIVE_INFINITY)) {
      record(429)
      return send(
        res,
        429,
        { error: 'Too many requests' },
        { 'retry-after': String(rl.retryAfterSeconds ?? 0) },
      )
    }
    const first = parseHour(start)
    const last = parseHour(end)
    if (first === undefined || last === undefined || last < first || last - first > 365 * 24 * HOUR_MS) {
      record(400)
      return send(res, 400, {
        error: 'Invalid start/end: expected YYYYMMDDTHH, end >= start, at most 365 days',
      })
    }
    const hours = (last - first) / HOUR_MS + 1
    const tries = (tried.get(`${start}-${end}`) ?? 0) + 1
    tried.set(`${start}-${end}`, tries)
    if (tries <= (knobs.serverErrorsFirst ?? 0)) {
      record(503)
      return send(res, 503, 'Service Unavailable')
    }
    if (knobs.gatewayTimeout?.({ start, end, hours })) {
      record(504)
      return send(res, 504, 'The amount of data is large causing a timeout')
    }
    const selected = visible(first, last)
    if (selected.length === 0) {
      record(404)
      return send(res, 404, 'No data available for the time range requested.')
    }
    const bytes = selected.reduce((s, r) => s + JSON.stringify(r).length + 1, 0)
    if (knobs.maxBytes !== undefined && bytes > knobs.maxBytes) {
      record(400)
      return send(
        res,
        400,
        'The file size of the exported data is too large. Shorten the time ranges and try again. The limit size is 4GB.',
      )
    }
    const attempt = (downloads.get(`${start}-${end}`) ?? 0) + 1
    downloads.set(`${start}-${end}`, attempt)
    let zip = await buildExportZip(selected, {
      projectId,
      rowsPerPart: knobs.rowsPerPart ?? 40,
      partBase: knobs.partBase ?? 0,
      corruptEntry: attempt <= (knobs.corruptGzipFirst ?? 0),
    })
    if (attempt <= (knobs.truncateFirst ?? 0)) zip = zip.subarray(0, Math.floor(zip.length / 2))
    record(200, selected.length)
    if (attempt <= (knobs.resetFirst ?? 0)) {
      // Headers promise the whole zip; half of it arrives, then the socket is torn down.
      res.writeHead(200, { 'content-type': 'application/zip', 'content-length': String(zip.length) })
      res.write(zip.subarray(0, zip.length >> 1), () => res.destroy())
      return
    }
    res.writeHead(200, {
      'content-type': 'application/zip',
      'content-length': String(zip.length),
      'content-disposition': `attachment; filename="${projectId}.zip"`,
    })
    res.end(zip)
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => send(res, 500, { error: error.message }))
  })
  await new Promise<void>((resolve, reject) => {
    // A port in use rejects (with the port), rather than crash the process as an unhandled 'error' event.
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', resolve)
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    get apiKey() {
      return knobs.apiKey ?? ''
    },
    get secretKey() {
      return knobs.secretKey ?? ''
    },
    events: () => rows,
    exportable: (startHour, endHour) => {
      const first = parseHour(startHour)
      const last = parseHour(endHour)
      if (first === undefined || last === undefined) throw new Error(`bad hour ${startHour}/${endHour}`)
      return visible(first, last)
    },
    requests: () => log,
    set(next) {
      knobs = { ...knobs, ...(next as FakeAmplitudeKnobs) }
    },
    reset() {
      requestCount = 0
      log = []
      downloads = new Map()
      tried = new Map()
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}
