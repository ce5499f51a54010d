import { describe, expect, it } from 'vitest'
import { backoffDelay, type Clock } from '../src/runtime/backoff.js'
import { RateLimiter, WindowBudget } from '../src/runtime/rate-limiter.js'

function fakeClock(): Clock & { t: number } {
  const clock = {
    t: 0,
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.t += ms
    },
  }
  return clock
}

describe('RateLimiter (token bucket, AIMD on 429)', () => {
  it('never exceeds the rate, with no start-up burst', async () => {
    const clock = fakeClock()
    const limiter = new RateLimiter({ ratePerSecond: 1000, clock })
    for (let i = 0; i < 10; i++) await limiter.acquire(500)
    // 10 × 500 units at 1000/s: the 10th batch starts at 4.5 s.
    expect(clock.t).toBe(4500)
  })

  it('halves on 429, pauses for Retry-After, then recovers additively to the ceiling', async () => {
    const clock = fakeClock()
    const limiter = new RateLimiter({ ratePerSecond: 1000, recoveryPerSecond: 0.1, clock })
    await limiter.acquire(100)
    limiter.onRateLimited(2000)
    expect(limiter.rate).toBe(500)
    const before = clock.t
    await limiter.acquire(100)
    expect(clock.t - before).toBeGreaterThanOrEqual(2000)
    limiter.onRateLimited()
    expect(limiter.rate).toBe(250)
    for (let i = 0; i < 200; i++) await limiter.acquire(100)
    expect(limiter.rate).toBe(1000)
  })

  it('has a floor', () => {
    const limiter = new RateLimiter({ ratePerSecond: 64, clock: fakeClock() })
    for (let i = 0; i < 20; i++) limiter.onRateLimited(0)
    expect(limiter.rate).toBe(1)
  })
})

describe('WindowBudget (e.g. Mixpanel 60 queries/hour)', () => {
  it('waits once the window is full and resumes from a persisted snapshot', async () => {
    const clock = fakeClock()
    const budget = new WindowBudget(3, 60_000, [], clock)
    await budget.take()
    await budget.take()
    await budget.take()
    expect(clock.t).toBe(0)
    await budget.take()
    expect(clock.t).toBe(60_001)
    const resumed = new WindowBudget(3, 60_000, budget.snapshot(), clock)
    expect(resumed.delayMs()).toBe(0)
    await resumed.take()
    await resumed.take()
    expect(resumed.delayMs()).toBeGreaterThan(0)
  })
})

describe('backoffDelay', () => {
  const policy = { baseMs: 100, maxMs: 1000, maxAttempts: 5 }
  it('grows exponentially with jitter and caps', () => {
    expect(backoffDelay(1, policy, {}, () => 0)).toBe(50)
    expect(backoffDelay(1, policy, {}, () => 1)).toBe(100)
    expect(backoffDelay(3, policy, {}, () => 1)).toBe(400)
    expect(backoffDelay(10, policy, {}, () => 1)).toBe(1000)
  })
  it('honours a longer Retry-After', () => {
    expect(backoffDelay(1, policy, { retryAfterMs: 5000 }, () => 1)).toBe(5000)
    expect(backoffDelay(1, policy, { retryAfterMs: 5000, rateLimited: true }, () => 1)).toBe(5000)
  })
  it('starts a rate limit that names no Retry-After at rateLimitedMs', () => {
    const limited = { ...policy, rateLimitedMs: 300 }
    expect(backoffDelay(1, limited, { rateLimited: true }, () => 1)).toBe(300)
    expect(backoffDelay(2, limited, { rateLimited: true }, () => 0)).toBe(300)
    expect(backoffDelay(4, limited, { rateLimited: true }, () => 1)).toBe(1000)
    // Other failures, and policies without it, keep baseMs.
    expect(backoffDelay(1, limited, {}, () => 1)).toBe(100)
    expect(backoffDelay(1, policy, { rateLimited: true }, () => 1)).toBe(100)
  })
})
