import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type FakeMixpanel, startFakeMixpanel } from '../src/testing.js'

let f: FakeMixpanel
beforeAll(async () => {
  f = await startFakeMixpanel({
    seed: 11,
    projects: [{ id: 1234 }, { id: 99, createdAt: '2020-01-01', timezone: 'Asia/Kolkata' }],
    limits: { perSecond: 1000 },
  })
})
afterAll(() => f.close())
beforeEach(() => {
  f.resetRateLimits()
  f.setFaults({ delayMs: 0 })
})

function basic(user: string, pass = '') {
  return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`
}
const sa = () => basic(f.project(1234).serviceAccount.username, f.project(1234).serviceAccount.secret)

async function exportRaw(query: string, headers: Record<string, string> = {}) {
  return fetch(`${f.url}/api/2.0/export?${query}`, { headers: { authorization: sa(), ...headers } })
}
const lines = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { event: string; properties: Record<string, unknown> })

describe('fake Mixpanel: export', () => {
  it('gzips only when asked and over 1,400 bytes; reorders every download', async () => {
    const q = 'project_id=1234&from_date=2024-03-01&to_date=2024-03-02&time_in_ms=true'
    const a = await exportRaw(q, { 'accept-encoding': 'gzip' })
    expect(a.headers.get('content-encoding')).toBe('gzip')
    const b = await exportRaw(q, { 'accept-encoding': 'identity' })
    expect(b.headers.get('content-encoding')).toBeNull()
    const [ta, tb] = [await a.text(), await b.text()]
    expect(ta).not.toBe(tb)
    expect(
      lines(ta)
        .map((r) => JSON.stringify(r))
        .sort(),
    ).toEqual(
      lines(tb)
        .map((r) => JSON.stringify(r))
        .sort(),
    )
    const tiny = await exportRaw(`${q}&limit=2`, { 'accept-encoding': 'gzip' })
    expect(tiny.headers.get('content-encoding')).toBeNull()
    expect(lines(await tiny.text())).toHaveLength(2)
  })

  it('answers seconds without time_in_ms, and local epochs for a pre-2023 project', async () => {
    const secs = lines(
      await (await exportRaw('project_id=1234&from_date=2024-03-01&to_date=2024-03-01')).text(),
    )
    expect(secs.every((r) => (r.properties.time as number) < 1e10)).toBe(true)
    const legacy = await fetch(
      `${f.url}/api/2.0/export?from_date=2024-03-02&to_date=2024-03-02&time_in_ms=true`,
      {
        headers: { authorization: basic(f.project(99).apiSecret) },
      },
    )
    const rows = lines(await legacy.text())
    const truth = new Map(f.project(99).rows.map((r) => [r.properties.$insert_id, r.utcMs]))
    // Kolkata is UTC+5:30: the exported epoch is the wall clock written as UTC.
    for (const r of rows)
      expect(r.properties.time).toBe((truth.get(r.properties.$insert_id) as number) + 5.5 * 3_600_000)
  })

  it('filters by event and a small where subset; refuses what it does not understand', async () => {
    const where = encodeURIComponent(
      'properties["mp_lib"] == "iphone" and properties["$time"] >= datetime(1709280000)',
    )
    const q = `project_id=1234&from_date=2024-03-01&to_date=2024-03-03&event=${encodeURIComponent('["Purchase"]')}&where=${where}`
    const rows = lines(await (await exportRaw(q)).text())
    expect(rows.length).toBeGreaterThan(0)
    expect(rows.every((r) => r.event === 'Purchase' && r.properties.mp_lib === 'iphone')).toBe(true)
    const bad = await exportRaw(
      `project_id=1234&from_date=2024-03-01&to_date=2024-03-01&where=${encodeURIComponent('foo(bar)')}`,
    )
    expect(bad.status).toBe(400)
  })

  it('answers auth errors, 400 for tomorrow, and hides late data until it lands', async () => {
    expect(
      (
        await fetch(`${f.url}/api/2.0/export?from_date=2024-03-01&to_date=2024-03-01`, {
          headers: { authorization: sa() },
        })
      ).status,
    ).toBe(400)
    expect((await exportRaw('project_id=99&from_date=2024-03-01&to_date=2024-03-01')).status).toBe(403)
    expect(
      (
        await fetch(`${f.url}/api/2.0/export?from_date=2024-03-01&to_date=2024-03-01`, {
          headers: { authorization: basic('nope') },
        })
      ).status,
    ).toBe(401)
    const tomorrow = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10)
    const future = await exportRaw(`project_id=1234&from_date=2024-03-01&to_date=${tomorrow}`)
    expect(future.status).toBe(400)
    expect(await future.text()).toMatch(/to_date cannot be later than today/)
    const late = await startFakeMixpanel({
      projects: [{ lateRate: 0.5, lateHours: 48 }],
      now: Date.parse('2024-03-03T00:00:00Z'),
    })
    const get = async () =>
      lines(
        await (
          await fetch(`${late.url}/api/2.0/export?from_date=2024-03-01&to_date=2024-03-02`, {
            headers: { authorization: basic(late.project().apiSecret) },
          })
        ).text(),
      )
    const early = await get()
    late.setNow(Date.parse('2024-03-10T00:00:00Z'))
    expect((await get()).length).toBeGreaterThan(early.length)
    await late.close()
  })

  it('says 429 with Retry-After, RateLimit headers and the rate-limit body after 60 in an hour', async () => {
    for (let i = 0; i < 60; i++)
      expect((await exportRaw('project_id=1234&from_date=2024-03-01&to_date=2024-03-01')).status).toBe(200)
    const limited = await exportRaw('project_id=1234&from_date=2024-03-01&to_date=2024-03-01')
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(3500)
    expect(limited.headers.get('ratelimit-policy')).toMatch(/"project";q=60;w=3600/)
    expect(await limited.text()).toMatch(
      /Query rate limit exceeded for project_id: 1234.*\(61\/60 queries running in the last hour\)/,
    )
    f.resetRateLimits()
    expect((await exportRaw('project_id=1234&from_date=2024-03-01&to_date=2024-03-01')).status).toBe(200)
  })

  it('says 429 beyond the concurrent limit', async () => {
    const tight = await startFakeMixpanel({ limits: { concurrent: 2, perSecond: 100 } })
    tight.setFaults({ delayMs: 200 })
    const auth = { authorization: basic(tight.project().apiSecret) }
    const statuses = await Promise.all(
      [1, 2, 3].map(
        async () =>
          (
            await fetch(`${tight.url}/api/2.0/export?from_date=2024-03-01&to_date=2024-03-01`, {
              headers: auth,
            })
          ).status,
      ),
    )
    expect(statuses.sort()).toEqual([200, 200, 429])
    await tight.close()
  })
})

describe('fake Mixpanel: Engage', () => {
  it('pages with session_id; total only on page 0; page > 0 needs the session', async () => {
    const many = await startFakeMixpanel({ projects: [{ users: 1500, anonymousProfiles: 700 }] })
    const post = (form: Record<string, string>) =>
      fetch(`${many.url}/api/query/engage`, {
        method: 'POST',
        headers: {
          authorization: basic(many.project().apiSecret),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams(form).toString(),
      })
    const p0 = (await (await post({ page: '0' })).json()) as {
      total: number
      session_id: string
      results: unknown[]
    }
    expect(p0).toMatchObject({ page: 0, page_size: 1000, total: 2200, status: 'ok' })
    expect(p0.results).toHaveLength(1000)
    const p2 = (await (await post({ page: '2', session_id: p0.session_id })).json()) as Record<
      string,
      unknown
    >
    expect(p2.total).toBeUndefined()
    expect(p2.results).toHaveLength(200)
    const orphan = await post({ page: '1' })
    expect(orphan.status).toBe(400)
    expect(await orphan.text()).toMatch(/session_id/)
    await many.close()
  })
})
