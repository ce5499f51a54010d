import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { classifySourceError, createSourceHttp } from '../src/runtime/http.js'

/**
 * A server that answers each request after `holdMs` (or its `?hold=` ms), counting how many it holds at
 * once and noting when each arrived.
 */
async function countingServer(
  holdMs: number,
): Promise<{ url: string; server: Server; maxInFlight: () => number; times: number[] }> {
  let inFlight = 0
  let max = 0
  const times: number[] = []
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/redirect')) {
      res.writeHead(302, { location: '/' })
      return res.end()
    }
    const hold = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('hold') ?? holdMs)
    inFlight++
    max = Math.max(max, inFlight)
    times.push(Date.now())
    setTimeout(() => {
      inFlight--
      res.end('{"ok":true}')
    }, hold)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/`, server, maxInFlight: () => max, times }
}

const servers: Server[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections()
    await new Promise((resolve) => s.close(resolve))
  }
})

const drain = () =>
  new Writable({
    write(_chunk, _encoding, done) {
      done()
    },
  })

describe('ctx.http: limits.concurrency', () => {
  it('never has more requests in flight than the limit, streams and promises alike', async () => {
    const fake = await countingServer(60)
    servers.push(fake.server)
    const { http } = createSourceHttp({ limits: { concurrency: 2 } })
    await Promise.all([
      ...Array.from({ length: 4 }, () => http.get(fake.url).json()),
      ...Array.from({ length: 4 }, () => pipeline(http.stream(fake.url), drain())),
    ])
    expect(fake.times).toHaveLength(8)
    expect(fake.maxInFlight()).toBe(2)
  })

  it('frees the slot of a stream that is abandoned, and of a request that fails', async () => {
    const fake = await countingServer(10)
    servers.push(fake.server)
    const { http } = createSourceHttp({ limits: { concurrency: 1 } })
    const abandoned = http.stream(fake.url)
    abandoned.once('response', () => abandoned.destroy())
    await new Promise((resolve) => abandoned.once('close', resolve))
    await expect(http.get('http://127.0.0.1:9/').text()).rejects.toThrow()
    // Both slots came back: this one does not wait forever.
    expect(await http.get(fake.url).json()).toEqual({ ok: true })
  })

  it('keeps one slot through a redirect, and gives it back (a redirect used to wait for a second one)', async () => {
    const fake = await countingServer(10)
    servers.push(fake.server)
    const { http } = createSourceHttp({ limits: { concurrency: 1 } })
    for (let i = 0; i < 3; i++) {
      expect(await http.get(`${fake.url}redirect`).json()).toEqual({ ok: true })
      await pipeline(http.stream(`${fake.url}redirect`), drain())
    }
    expect(fake.times).toHaveLength(6)
  })

  it('gives back the slot of a call that ends while it is still queued for one', async () => {
    const fake = await countingServer(0)
    servers.push(fake.server)
    const { http } = createSourceHttp({ limits: { concurrency: 1 } })
    const slow = http.get(`${fake.url}?hold=400`).text()
    // Queued behind it, then abandoned (a stream destroyed) or cancelled (a promise) before a slot came.
    const stream = http.stream(fake.url)
    stream.on('error', () => {})
    const cancelled = http.get(fake.url)
    cancelled.catch(() => {})
    setTimeout(() => {
      stream.destroy()
      cancelled.cancel()
    }, 100)
    await slow
    // The slot came back: this call does not wait for ever.
    expect(await http.get(fake.url).text()).toBe('{"ok":true}')
  })

  it('counts calls outside the request budget (context.budget false) against the concurrency too', async () => {
    const fake = await countingServer(60)
    servers.push(fake.server)
    const { http } = createSourceHttp({ limits: { concurrency: 2, requestsPerSecond: 1000 } })
    await Promise.all(
      Array.from({ length: 6 }, () => http.get(fake.url, { context: { budget: false } }).text()),
    )
    expect(fake.maxInFlight()).toBe(2)
  })

  it('takes the per-second budget only once a slot is held, so a queue does not go out as a burst', async () => {
    const fake = await countingServer(0)
    servers.push(fake.server)
    const { http } = createSourceHttp({ limits: { concurrency: 3, requestsPerSecond: 2 } })
    // Three slow requests fill the slots; three quick ones queue behind them. Had the queued ones taken
    // their budget while waiting, all three would go out together when the slow ones end.
    const slow = Array.from({ length: 3 }, () => http.get(`${fake.url}?hold=2500`).text())
    const quick = Array.from({ length: 3 }, () => http.get(`${fake.url}?hold=0`).text())
    await Promise.all([...slow, ...quick])
    expect(fake.times).toHaveLength(6)
    expect(fake.maxInFlight()).toBe(3)
    // However the requests were spread, no second saw more than two of them arrive (10 ms for the wire).
    for (const t of fake.times) {
      expect(fake.times.filter((u) => u >= t && u < t + 990).length).toBeLessThanOrEqual(2)
    }
  })
})

describe('classifySourceError: what a failed page means', () => {
  async function statusServer(status: number, headers: Record<string, string> = {}): Promise<string> {
    const server = createServer((_req, res) => res.writeHead(status, headers).end('{"error":"no"}'))
    servers.push(server)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  }
  const failure = async (url: string) => {
    const { http } = createSourceHttp({})
    return http.get(url).then(
      () => expect.unreachable('the server fails'),
      (e: unknown) => e as Error,
    )
  }

  it('looks through a wrapper that keeps the HTTP error as its cause, and keeps its words', async () => {
    const http401 = await failure(await statusServer(401))
    const wrapped = new Error('listing page 3 failed', { cause: new Error('fetch', { cause: http401 }) })
    const fatal = classifySourceError(wrapped, 'Pagerest API')
    expect(fatal).toMatchObject({ kind: 'fatal', message: expect.stringMatching(/HTTP 401.*listing page 3/) })
    const http429 = await failure(await statusServer(429, { 'retry-after': '7' }))
    const limited = classifySourceError(new Error('page 4', { cause: http429 }), 'Pagerest API')
    expect(limited).toMatchObject({ kind: 'retriable', rateLimited: true, retryAfterMs: 7000 })
  })

  it('honours Retry-After on a 503 as on a 429', async () => {
    const unavailable = classifySourceError(
      await failure(await statusServer(503, { 'retry-after': '3' })),
      'API',
    )
    expect(unavailable).toMatchObject({ kind: 'retriable', rateLimited: false, retryAfterMs: 3000 })
  })
})
