import { gunzipSync } from 'node:zlib'
import { afterEach, describe, expect, it } from 'vitest'
import {
  cursorPage,
  decodeCursor,
  type LoopbackServer,
  pageNumberPage,
  reorderForAttempt,
  seededRandom,
  sendJson,
  startLoopbackServer,
  timeWindowSlice,
  timeWindows,
  truncatedGzip,
  truncatedZip,
  weightedPick,
  zipBuffer,
} from '../src/index.js'

let server: LoopbackServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`

async function start(options: Partial<Parameters<typeof startLoopbackServer>[0]> = {}) {
  server = await startLoopbackServer({
    handler: (_req, res, { principal }) =>
      sendJson(res, 200, { ok: true, principal: principal ?? null, body: 'x'.repeat(2000) }),
    ...options,
  })
  return server
}

describe('startLoopbackServer', () => {
  it('listens on 127.0.0.1 and checks Basic and bearer credentials', async () => {
    const s = await start({ auth: { basic: [{ user: 'u', password: 'p' }], bearer: ['tok'] } })
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect((await fetch(s.url)).status).toBe(401)
    expect((await fetch(s.url, { headers: { authorization: basic('u', 'wrong') } })).status).toBe(401)
    const ok = await fetch(s.url, { headers: { authorization: basic('u', 'p') } })
    expect(await ok.json()).toMatchObject({ principal: 'u' })
    expect((await fetch(s.url, { headers: { authorization: 'Bearer tok' } })).status).toBe(200)
    expect(s.requests.map((r) => r.status)).toEqual([401, 401, 200, 200])
  })

  it('answers 429 with Retry-After for exactly the planned requests', async () => {
    const s = await start({ faults: { rateLimit: { after: 2, count: 2, retryAfterSeconds: 7 } } })
    const responses = []
    for (let i = 0; i < 5; i++) responses.push(await fetch(s.url))
    expect(responses.map((r) => r.status)).toEqual([200, 200, 429, 429, 200])
    expect(responses[2]?.headers.get('retry-after')).toBe('7')
    s.faults.rateLimitNext(1, 3)
    expect((await fetch(s.url)).status).toBe(429)
    expect((await fetch(s.url)).status).toBe(200)
  })

  it('fails the same seeded share of requests with 5xx on every run', async () => {
    const statuses = async () => {
      const s = await start({ faults: { serverErrors: { rate: 0.3, seed: 'x' } } })
      const out: number[] = []
      for (let i = 0; i < 20; i++) out.push((await fetch(s.url)).status)
      await s.close()
      server = undefined
      return out
    }
    const first = await statuses()
    expect(first).toContain(503)
    expect(first).toContain(200)
    expect(await statuses()).toEqual(first)
  })

  it('cuts a response mid-body, then serves whole ones again', async () => {
    const s = await start({ faults: { resetMidBody: { count: 1 } } })
    await expect(fetch(s.url).then((r) => r.text())).rejects.toThrow()
    expect(s.requests[0]?.cut).toBe(true)
    expect(await (await fetch(s.url)).json()).toMatchObject({ ok: true })
  })

  it('switches to 401/403 and back at runtime (failAuth, clear)', async () => {
    const s = await start()
    s.faults.failAuth(403)
    expect((await fetch(s.url)).status).toBe(403)
    s.faults.clear()
    expect((await fetch(s.url)).status).toBe(200)
  })

  it('delays responses by the planned latency (the request is seen at once)', async () => {
    const s = await start()
    s.faults.latency(200)
    const pending = fetch(s.url)
    await expect.poll(() => s.requests.length).toBe(1)
    expect(s.requests[0]?.status).toBeUndefined()
    expect((await pending).status).toBe(200)
  })
})

describe('bodies, data and pagination', () => {
  it('truncated gzip and zip bodies fail to decode', async () => {
    expect(() => gunzipSync(truncatedGzip('a\nb\nc\n'.repeat(100)))).toThrow(/unexpected end/)
    const whole = await zipBuffer([{ name: 'a.json', content: '{}' }])
    const cut = await truncatedZip([{ name: 'a.json', content: '{}' }])
    expect(cut.length).toBeLessThan(whole.length)
    expect(whole.subarray(0, cut.length)).toEqual(cut)
  })

  it('seeded data is the same for the same seed and differs for another', () => {
    const draw = (seed: string) => {
      const r = seededRandom(seed)
      return Array.from({ length: 5 }, () =>
        weightedPick(r, [
          ['a', 1],
          ['b', 3],
        ] as const),
      )
    }
    expect(draw('s')).toEqual(draw('s'))
    expect(seededRandom(1)()).not.toBe(seededRandom(2)())
  })

  it('re-downloads come back reordered, deterministically, with the same rows', () => {
    const rows = Array.from({ length: 20 }, (_, i) => i)
    expect(reorderForAttempt(rows, 1)).toEqual(rows)
    const second = reorderForAttempt(rows, 2)
    expect(second).not.toEqual(rows)
    expect([...second].sort((a, b) => a - b)).toEqual(rows)
    expect(reorderForAttempt(rows, 2)).toEqual(second)
  })

  it('page-number, cursor and time-window helpers walk every item once', () => {
    const items = Array.from({ length: 25 }, (_, i) => i)
    expect(pageNumberPage(items, 3, 10)).toEqual({ items: [20, 21, 22, 23, 24], page: 3, totalPages: 3 })
    const walked: number[] = []
    let cursor: string | undefined
    do {
      const page = cursorPage(items, cursor, 10, 'day1')
      if ('error' in page) throw new Error(page.error)
      walked.push(...page.items)
      cursor = page.next
    } while (cursor)
    expect(walked).toEqual(items)
    const other = cursorPage(items, undefined, 10, 'day2')
    const foreign = cursorPage(items, 'next' in other ? other.next : undefined, 10, 'day1')
    expect(foreign).toEqual({ error: 'invalid cursor' })
    expect(decodeCursor('not base64 json')).toBeUndefined()
    expect(timeWindows(0, 25, 10)).toEqual([
      [0, 10],
      [10, 20],
      [20, 25],
    ])
    expect(timeWindowSlice(items, (i) => i, 10, 12)).toEqual([10, 11])
  })
})
