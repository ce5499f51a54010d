import { FatalError, type PostHogEvent } from '@ph-import/core'
import { afterEach, describe, expect, it } from 'vitest'
import { authOf, exportUrl, mixpanelHttpError } from '../src/api.js'
import { projectIdentity } from '../src/index.js'
import { MixpanelConfig } from '../src/schema.js'
import { type FakeMixpanel, type FakeProjectOptions, startFakeMixpanel } from '../src/testing.js'
import { BACKOFF, expectedUuid, importInto, serviceAccountConfig } from './helpers.js'

let fake: FakeMixpanel | undefined
afterEach(async () => {
  await fake?.close()
  fake = undefined
})

async function start(project: FakeProjectOptions = {}, now?: number) {
  fake = await startFakeMixpanel({ seed: 7, projects: [project], ...(now !== undefined ? { now } : {}) })
  return fake
}

/** Every logical Mixpanel event plus one $identify per (user, device) pair, by uuid. */
function expectedIds(f: FakeMixpanel, identity = 'project:1234'): Set<string> {
  return new Set(f.project().rows.map((r) => expectedUuid(r, identity)))
}

/** Uuids of the imported Mixpanel rows: synthesized $identify events (no mp_lib) are counted apart. */
function eventIds(events: PostHogEvent[]): string[] {
  return events.filter((e) => e.event !== '$set' && e.properties.mp_lib !== undefined).map((e) => e.uuid)
}

describe('export against the fake Mixpanel', () => {
  it('imports every event once, profiles first, over gzip, without `limit` and without a 429', async () => {
    const f = await start()
    const { result, events } = await importInto(serviceAccountConfig(f))
    expect(result.status).toBe('done')
    const profiles = f.project().profiles.length
    expect(events.slice(0, profiles).every((e) => e.event === '$set')).toBe(true)
    expect(events.filter((e) => e.event === '$set')).toHaveLength(profiles)
    const ids = eventIds(events.slice(profiles))
    expect(new Set(ids)).toEqual(expectedIds(f))
    expect(ids.length).toBe(new Set(ids).size)
    const pairs = new Set(
      f
        .project()
        .rows.filter((r) => r.properties.$user_id !== undefined)
        .map((r) => `${r.properties.$user_id}/${r.properties.$device_id}`),
    )
    expect(events.filter((e) => e.event === '$identify')).toHaveLength(pairs.size)
    const log = f.requests()
    expect(log.filter((r) => r.endpoint === 'export').every((r) => r.params.limit === undefined)).toBe(true)
    expect(log.filter((r) => r.endpoint === 'export').every((r) => r.params.time_in_ms === 'true')).toBe(true)
    expect(log.some((r) => r.gzip)).toBe(true)
    expect(log.filter((r) => r.status === 429)).toEqual([])
    // Adjacent inclusive windows never share a day.
    const windows = log
      .filter((r) => r.endpoint === 'export')
      .map((r) => [r.params.from_date, r.params.to_date])
    expect(windows).toEqual([
      ['2024-03-01', '2024-03-07'],
      ['2024-03-08', '2024-03-14'],
    ])
  })

  it('authenticates with the legacy project secret', async () => {
    const f = await start({ duplicateRate: 0 })
    const config = {
      baseUrl: f.url,
      apiSecret: f.project().apiSecret,
      start: '2024-03-01',
      end: '2024-03-03',
      profiles: false,
    }
    const { result, events } = await importInto(config)
    expect(result.status).toBe('done')
    const identity = projectIdentity({ apiSecret: f.project().apiSecret } as never)
    const expected = f
      .project()
      .rows.filter((r) => r.utcMs < Date.parse('2024-03-04'))
      .map((r) => expectedUuid(r, identity))
    expect(new Set(eventIds(events))).toEqual(new Set(expected))
  })

  it('retries a 5xx, a reset stream, a `terminated early` body and a truncated gzip: no duplicate, no gap', async () => {
    const f = await start({ eventsPerDay: 120 })
    f.setFaults({ serverErrors: 1, resets: 1, terminatedEarly: 1, truncatedGzip: 1 })
    const { result, events, progress } = await importInto(serviceAccountConfig(f, { profiles: false }))
    expect(result.status).toBe('done')
    expect(f.faults()).toMatchObject({ serverErrors: 0, resets: 0, terminatedEarly: 0, truncatedGzip: 0 })
    expect(progress.filter((p) => p.type === 'retry')).toHaveLength(4)
    const ids = eventIds(events)
    expect(ids.length).toBe(new Set(ids).size)
    expect(new Set(ids)).toEqual(expectedIds(f))
  })

  it('retries Engage 5xx: every profile once, over several pages, before the events', async () => {
    fake = await startFakeMixpanel({ seed: 7, projects: [{ eventsPerDay: 20 }], engagePageSize: 7 })
    const f = fake
    f.setFaults({ engageServerErrors: 3 })
    const { result, events, progress } = await importInto(serviceAccountConfig(f))
    expect(result.status).toBe('done')
    expect(f.faults().engageServerErrors).toBe(0)
    expect(progress.filter((p) => p.type === 'retry')).toHaveLength(3)
    const profiles = f.project().profiles.length
    expect(profiles).toBeGreaterThan(14)
    const sets = events.filter((e) => e.event === '$set')
    expect(sets).toHaveLength(profiles)
    expect(new Set(sets.map((e) => e.uuid)).size).toBe(profiles)
    expect(events.slice(0, profiles).every((e) => e.event === '$set')).toBe(true)
  })

  it('waits out a 429 without Retry-After as a rate limit, not a blip', async () => {
    const f = await start({ eventsPerDay: 120 })
    f.setFaults({ loadShed: 2 })
    const { result, events, progress } = await importInto(serviceAccountConfig(f, { profiles: false }), {
      backoff: { ...BACKOFF, maxMs: 400, rateLimitedMs: 200 },
    })
    expect(result.status).toBe('done')
    const retries = progress.filter((p) => p.type === 'retry')
    expect(retries).toHaveLength(2)
    // From rateLimitedMs (jittered down to half), doubling; an ordinary retry would wait baseMs (5 ms).
    const [first, second] = retries.map((r) => (r.type === 'retry' ? r.delayMs : 0))
    expect(first).toBeGreaterThanOrEqual(100)
    expect(first).toBeLessThanOrEqual(200)
    expect(second).toBeGreaterThanOrEqual(200)
    expect(second).toBeLessThanOrEqual(400)
    expect(new Set(eventIds(events))).toEqual(expectedIds(f))
  })

  it('keeps an event’s uuid before and after Mixpanel re-keys it to its user (its distinct_id changes)', async () => {
    // Re-keyed at noon on 15 March: a morning import sees the merged rows under their device ids.
    const rekeyedAt = Date.parse('2024-03-15T12:00:00Z')
    const f = await start({ rekeyedAt }, Date.parse('2024-03-15T09:00:00Z'))
    const config = serviceAccountConfig(f, { profiles: false })
    const before = await importInto(config, { now: new Date('2024-03-15T09:00:00Z') })
    const rekeyed = f.project().rows.filter((r) => r.properties.$distinct_id_before_identity !== undefined)
    expect(rekeyed.length).toBeGreaterThan(0)
    const seenBefore = new Map(before.events.map((e) => [e.uuid, e.distinct_id]))
    f.setNow(Date.parse('2024-03-15T18:00:00Z'))
    const after = await importInto(config, { now: new Date('2024-03-15T18:00:00Z') })
    expect(new Set(eventIds(after.events))).toEqual(new Set(eventIds(before.events)))
    expect(new Set(eventIds(after.events))).toEqual(expectedIds(f))
    // The same events, now attributed to their users.
    const moved = after.events.filter(
      (e) => seenBefore.has(e.uuid) && seenBefore.get(e.uuid) !== e.distinct_id,
    )
    expect(new Set(moved.map((e) => e.uuid))).toEqual(new Set(rekeyed.map((r) => expectedUuid(r))))
  })

  it('treats an empty body as an empty window', async () => {
    const f = await start({ from: '2024-03-10', to: '2024-03-11' })
    const { result, events } = await importInto(
      serviceAccountConfig(f, { profiles: false, end: '2024-03-20' }),
      {
        now: new Date('2024-04-01T00:00:00Z'),
      },
    )
    expect(result.status).toBe('done')
    expect(new Set(eventIds(events))).toEqual(expectedIds(f))
    const empty = f.requests().filter((r) => r.endpoint === 'export' && r.params.from_date === '2024-03-01')
    expect(empty).toMatchObject([{ status: 200, gzip: false }])
  })

  it('fails fatally, saying what to change, on 401, 402 and a plan without Engage', async () => {
    const f = await start()
    const bad = await importInto({ ...serviceAccountConfig(f), serviceAccountSecret: 'wrong-secret' })
    expect(bad.result.status).toBe('failed')
    expect(bad.result.report.error?.message).toMatch(/refused the credentials \(401\)/)
    expect(bad.result.report.error?.hint).toMatch(/--region/)
    expect(JSON.stringify(bad.result.report)).not.toContain('wrong-secret')

    f.setPlan(1234, 'free')
    const free = await importInto(serviceAccountConfig(f))
    expect(free.result.status).toBe('failed')
    expect(free.result.report.error?.message).toMatch(/402/)
    expect(free.result.report.error?.hint).toMatch(/--no-profiles/)

    f.setPlan(1234, 'none')
    const none = await importInto(serviceAccountConfig(f, { profiles: false }))
    expect(none.result.report.error?.message).toMatch(/plan does not allow API calls \(402\)/)
  })

  it('stops the same way on 400 "Unable to authenticate request", which some endpoints answer for bad credentials', async () => {
    fake = await startFakeMixpanel({ seed: 7, authFailureStatus: 400 })
    const bad = await importInto({ ...serviceAccountConfig(fake), serviceAccountSecret: 'wrong-secret' })
    expect(bad.result.status).toBe('failed')
    expect(bad.result.report.error?.message).toMatch(
      /refused the credentials \(400\): Unable to authenticate/,
    )
    expect(bad.result.report.error?.hint).toMatch(/--region/)
    expect(fake.requests().map((r) => r.status)).toEqual([400])
  })

  it('pre-2023 project: the plan never asks for a day after today; if Mixpanel refuses one, the hint names --timezone', async () => {
    // 03:00 UTC on 15 March is still 14 March in Los Angeles.
    const now = Date.parse('2024-03-15T03:00:00Z')
    const f = await start({ timezone: 'America/Los_Angeles', createdAt: '2021-06-01' }, now)
    const utc = await importInto(serviceAccountConfig(f, { profiles: false, end: '2024-03-15' }), {
      now: new Date(now),
    })
    // Read as UTC, the local times are hours off: the rows' processing times give it away, and the job
    // stops before sending any.
    expect(utc.result.status).toBe('failed')
    expect(utc.result.report.error?.message).toMatch(
      /the event times run [78] h behind when Mixpanel processed the events .* in a UTC−[78] zone .* Nothing of this window was sent/,
    )
    expect(utc.result.report.error?.hint).toMatch(
      /--timezone America\/Los_Angeles.*--timezone Etc\/UTC to go on/,
    )
    expect(utc.events).toEqual([])
    const asked = f.requests().filter((r) => r.endpoint === 'export')
    expect(asked.every((r) => String(r.params.to_date) <= '2024-03-14')).toBe(true)
    // Only a skewed clock could still ask for a later day: Mixpanel's refusal stops the job, saying why.
    const config = MixpanelConfig.parse(serviceAccountConfig(f))
    const { headers, project } = authOf(config)
    const query = new URLSearchParams({ ...project, from_date: '2024-03-15', to_date: '2024-03-15' })
    const refused = await fetch(`${exportUrl(config)}?${query}`, { headers })
    const error = mixpanelHttpError(refused.status, await refused.text(), undefined, 'export', 'export')
    expect(error).toBeInstanceOf(FatalError)
    expect(error.message).toMatch(/to_date is later than today/)
    expect(error.hint).toMatch(/--timezone/)

    const right = await importInto(
      serviceAccountConfig(f, { profiles: false, end: '2024-03-15', timezone: 'America/Los_Angeles' }),
      { now: new Date(now) },
    )
    expect(right.result.status).toBe('done')
    expect(right.result.report.warnings.join('\n')).toMatch(
      /reaches today \(2024-03-14 in America\/Los_Angeles\).*the import stops at 2024-03-13/,
    )
    // Days are local: the import covers LA days 1..13 March (14 March, today there, is still being
    // recorded); times come back as true UTC instants.
    const from = Date.parse('2024-03-01T08:00:00Z')
    const until = Date.parse('2024-03-14T07:00:00Z')
    const expected = f
      .project()
      .rows.filter((r) => r.utcMs >= from && r.utcMs < until)
      .map((r) => expectedUuid(r))
    expect(new Set(eventIds(right.events))).toEqual(new Set(expected))
    const byUuid = new Map(f.project().rows.map((r) => [expectedUuid(r), r.utcMs]))
    for (const e of right.events.slice(0, 50)) {
      const ms = byUuid.get(e.uuid)
      if (ms !== undefined) expect(e.timestamp).toBe(new Date(ms).toISOString())
    }
  })

  it('asked for today, stops at yesterday: a day still being recorded is never half-imported', async () => {
    // Noon on the last day of the fake's data; 30% of rows reach the export 2 hours late.
    const now = Date.parse('2024-03-14T12:00:00Z')
    const f = await start({ lateRate: 0.3, lateHours: 2 }, now)
    const { result, events } = await importInto(
      serviceAccountConfig(f, { profiles: false, end: '2024-03-14' }),
      {
        now: new Date(now),
      },
    )
    expect(result.status).toBe('done')
    expect(result.report.warnings.join('\n')).toMatch(
      /reaches today \(2024-03-14 in UTC\).*stops at 2024-03-13/,
    )
    const midnight = Date.parse('2024-03-14T00:00:00Z')
    const rows = f.project().rows
    expect(rows.some((r) => r.utcMs >= midnight && r.visibleAt > now)).toBe(true)
    const expected = rows.filter((r) => r.utcMs < midnight).map((r) => expectedUuid(r))
    expect(new Set(eventIds(events))).toEqual(new Set(expected))
    const windows = f.requests().filter((r) => r.endpoint === 'export')
    expect(windows.every((r) => String(r.params.to_date) <= '2024-03-13')).toBe(true)
  })

  it('passes the event and where filters through', async () => {
    const f = await start()
    const { events } = await importInto(
      serviceAccountConfig(f, {
        profiles: false,
        events: ['Purchase', 'Signed Up'],
        where: 'properties["mp_lib"] == "web"',
      }),
    )
    expect(events.length).toBeGreaterThan(0)
    const names = new Set(events.filter((e) => e.event !== '$identify').map((e) => e.event))
    expect(names).toEqual(new Set(['Purchase', 'Signed Up']))
    expect(events.filter((e) => e.event !== '$identify').every((e) => e.properties.mp_lib === 'web')).toBe(
      true,
    )
  })
})
