import { afterEach, describe, expect, it } from 'vitest'
import { mixpanelSource } from '../src/index.js'
import { type FakeMixpanel, startFakeMixpanel } from '../src/testing.js'
import { importInto, maxInWindow, serviceAccountConfig, tempDir } from './helpers.js'

let fake: FakeMixpanel | undefined
afterEach(async () => {
  await fake?.close()
  fake = undefined
})

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached')
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe("Mixpanel's query budget", () => {
  it('declares 60/hour, 3/second, 100 concurrent', () => {
    const limits =
      typeof mixpanelSource.limits === 'function'
        ? mixpanelSource.limits({ requestsPerHour: 60 } as never)
        : undefined
    expect(limits).toEqual({ requestsPerHour: 60, requestsPerSecond: 3, concurrency: 100 })
  })

  it('never trips the per-second limit, and Engage pages after the first are free', async () => {
    fake = await startFakeMixpanel({ projects: [{ eventsPerDay: 10, users: 2100, anonymousProfiles: 300 }] })
    const config = serviceAccountConfig(fake, { end: '2024-03-10', windowDays: 1, maxWindowDays: 1 })
    const { result } = await importInto(config)
    expect(result.status).toBe('done')
    const log = fake.requests()
    expect(log.filter((r) => r.status === 429)).toEqual([])
    expect(log.filter((r) => r.endpoint === 'engage')).toHaveLength(3)
    expect(fake.countedLastHour()).toBe(11)
    expect(
      maxInWindow(
        log.filter((r) => r.counted).map((r) => r.at),
        900,
      ),
    ).toBeLessThanOrEqual(3)
  })

  it('waits instead of exceeding the hourly budget, and remembers it across runs', async () => {
    fake = await startFakeMixpanel({ projects: [{}], limits: { perHour: 4 } })
    const f = fake
    const config = serviceAccountConfig(f, {
      profiles: false,
      end: '2024-03-06',
      windowDays: 1,
      maxWindowDays: 1,
      requestsPerHour: 4,
    })
    const stateDir = tempDir()
    const first = new AbortController()
    const run1 = importInto(config, { stateDir, signal: first.signal })
    await until(() => f.countedLastHour() === 4)
    await new Promise((r) => setTimeout(r, 1500))
    first.abort()
    expect((await run1).result.status).toBe('interrupted')
    expect(f.countedLastHour()).toBe(4)

    const second = new AbortController()
    const run2 = importInto(config, { stateDir, signal: second.signal })
    await new Promise((r) => setTimeout(r, 1500))
    second.abort()
    expect((await run2).result.status).toBe('interrupted')
    // The second run knew the hour's budget was spent: no request, so no 429.
    expect(f.countedLastHour()).toBe(4)
    expect(f.requests().filter((r) => r.status === 429)).toEqual([])
  })

  it('honours Retry-After when Mixpanel does say 429', async () => {
    fake = await startFakeMixpanel({ projects: [{}], limits: { perSecond: 1 } })
    const { result, progress } = await importInto(
      serviceAccountConfig(fake, { profiles: false, end: '2024-03-04', windowDays: 1, maxWindowDays: 1 }),
    )
    expect(result.status).toBe('done')
    const retries = progress.filter((p) => p.type === 'retry')
    expect(retries.length).toBeGreaterThan(0)
    for (const r of retries) if (r.type === 'retry') expect(r.delayMs).toBeGreaterThanOrEqual(1000)
  })

  it('estimates the duration the budget implies', () => {
    const plan = mixpanelSource.plan({
      config: mixpanelSource.config.parse({
        apiSecret: 's',
        start: '2021-01-01',
        end: '2023-12-31',
        windowDays: 1,
      }),
      now: new Date('2024-06-01T00:00:00Z'),
      warn: () => {},
    } as never) as ReturnType<typeof mixpanelSource.plan> & unknown[]
    const estimate = mixpanelSource.estimate?.(plan as never, { requestsPerHour: 60 } as never)
    // 1,095 days + profiles at 60/hour: about 17 hours.
    expect(estimate?.seconds).toBe(Math.ceil(((1096 - 60) / 60) * 3600))
    expect(estimate?.note).toMatch(
      /1096 Mixpanel queries within its limits \(60\/hour, 3\/second\) take at least 17\.3 h/,
    )
  })
})
