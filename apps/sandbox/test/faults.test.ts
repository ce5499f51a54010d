import { describe, expect, it } from 'vitest'
import { makeEvents, sendBatch, useSandbox } from './helpers.js'

const sandbox = useSandbox({ seed: 7 })

async function statuses(count: number): Promise<number[]> {
  const result: number[] = []
  for (let i = 0; i < count; i++) result.push((await sendBatch(sandbox(), makeEvents(1))).status)
  return result
}

describe('fault injection', () => {
  it('rateLimit answers 429 with a Retry-After computed from the token bucket deficit', async () => {
    sandbox().setFaults({ rateLimit: 10, rateLimitBurst: 50 })
    expect((await sendBatch(sandbox(), makeEvents(50))).status).toBe(200)
    const limited = await sendBatch(sandbox(), makeEvents(40))
    expect(limited.status).toBe(429)
    // 40 events needed, ~0 tokens left, 10 tokens/s: about 4 s.
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(3)
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(4)
    expect(limited.body).toMatchObject({ code: 'RateLimited', error: 'rate limited' })
    expect(sandbox().stats()).toMatchObject({ received: 50, rejected_requests: { 429: 1 } })
    expect(sandbox().stats().faults.rate_limited).toBe(1)
  })

  it('errorRate answers random 500/503, reproducibly for a given seed', async () => {
    sandbox().setFaults({ errorRate: 0.5 })
    const first = await statuses(20)
    sandbox().setFaults({ errorRate: 0.5 })
    const second = await statuses(20)
    expect(second).toEqual(first)
    expect(first).toContain(200)
    expect(first.some((s) => s === 500 || s === 503)).toBe(true)
    expect(first.every((s) => [200, 500, 503].includes(s))).toBe(true)
    const errors = first.filter((s) => s !== 200).length
    expect(sandbox().stats().faults.errors).toBe(errors * 2)
  })

  it('partialWriteRate stores the first k events then answers 503; a resend duplicates only those', async () => {
    const events = makeEvents(10)
    sandbox().setFaults({ partialWriteRate: 1 })
    const partial = await sendBatch(sandbox(), events)
    expect(partial).toMatchObject({ status: 503, body: { code: 'RetryableSinkError' } })
    const written = sandbox().stats().received
    expect(written).toBeGreaterThan(0)
    expect(written).toBeLessThan(10)
    expect(sandbox().uniqueUuids()).toEqual(new Set(events.slice(0, written).map((e) => e.uuid)))

    sandbox().setFaults({})
    expect((await sendBatch(sandbox(), events)).status).toBe(200)
    const stats = sandbox().stats()
    expect(stats).toMatchObject({ received: 10 + written, unique_uuids: 10, duplicates: written })
    expect(stats.faults.partial_writes).toBe(1)
    expect(sandbox().uniqueUuids()).toEqual(new Set(events.map((e) => e.uuid)))
  })

  it('dropRate resets the connection without an answer and stores nothing', async () => {
    sandbox().setFaults({ dropRate: 1 })
    await expect(sendBatch(sandbox(), makeEvents(3))).rejects.toThrow()
    const stats = sandbox().stats()
    expect(stats.received).toBe(0)
    expect(stats.faults.dropped).toBe(1)
  })

  it('latencyMs delays the answer', async () => {
    sandbox().setFaults({ latencyMs: 150, latencyJitterMs: 50 })
    const started = performance.now()
    expect((await sendBatch(sandbox(), makeEvents(1))).status).toBe(200)
    expect(performance.now() - started).toBeGreaterThanOrEqual(145)
    expect(sandbox().stats().faults.delayed).toBe(1)
  })

  it('failNext scripts exact failures in order, then recovers', async () => {
    sandbox().setFaults({ failNext: [{ status: 503, count: 2 }, { status: 429 }, { status: 500 }] })
    const results = []
    for (let i = 0; i < 5; i++) results.push(await sendBatch(sandbox(), makeEvents(1)))
    expect(results.map((r) => r.status)).toEqual([503, 503, 429, 500, 200])
    expect(results[2]?.headers.get('retry-after')).toBe('1')
    const stats = sandbox().stats()
    expect(stats.received).toBe(1)
    expect(stats.faults.fail_next).toBe(4)
    expect(stats.rejected_requests).toEqual({ 429: 1, 500: 1, 503: 2 })
    expect(sandbox().faults().failNext).toEqual([])
  })

  it('reads and replaces faults over HTTP', async () => {
    const url = `${sandbox().url}/_sandbox/faults`
    const set = await fetch(url, { method: 'POST', body: JSON.stringify({ failNext: [{ status: 503 }] }) })
    expect(set.status).toBe(200)
    expect(await (await fetch(url)).json()).toMatchObject({
      failNext: [{ status: 503, count: 1 }],
      errorRate: 0,
    })
    expect((await sendBatch(sandbox(), makeEvents(1))).status).toBe(503)
    const invalid = await fetch(url, { method: 'POST', body: JSON.stringify({ errorRate: 2 }) })
    expect(invalid.status).toBe(400)
  })
})
