import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type FakeAmplitude, startFakeAmplitude } from '../src/testing.js'
import { countBy, expectedUuids, importToFile, NOW } from './harness.js'

let fake: FakeAmplitude
beforeAll(async () => {
  fake = await startFakeAmplitude({
    seed: 7,
    start: '2024-03-01T00:00:00Z',
    end: '2024-03-03T00:00:00Z',
    events: 800,
    now: NOW,
    rowsPerPart: 15,
  })
})
afterAll(() => fake.close())
beforeEach(() => {
  fake.set({
    maxBytes: undefined,
    gatewayTimeout: undefined,
    rateLimit: undefined,
    truncateFirst: 0,
    corruptGzipFirst: 0,
    serverErrorsFirst: 0,
    resetFirst: 0,
    partBase: 0,
    authFailureStatus: 403,
  })
  fake.reset()
})

function assertExactlyOnce(events: ReadonlyArray<{ uuid: string }>, expected: readonly string[]) {
  const counts = countBy(events, (e) => e.uuid)
  const dupes = [...counts].filter(([, n]) => n > 1)
  expect(dupes).toEqual([])
  const missing = expected.filter((u) => !counts.has(u))
  expect(missing).toEqual([])
}

describe('export against the fake Amplitude API', () => {
  it('imports every row once, one partition per upload day, 404 for the empty day', async () => {
    const run = await importToFile(fake)
    expect(run.result.report.error).toBeUndefined()
    expect(run.result.status).toBe('done')
    expect(run.result.report.perPartition.map((p) => p.key)).toEqual([
      '2024-03-01',
      '2024-03-02',
      '2024-03-03',
    ])
    expect(fake.requests().map((r) => [r.start, r.end, r.status])).toEqual([
      ['20240301T00', '20240301T23', 200],
      ['20240302T00', '20240302T23', 200],
      ['20240303T00', '20240303T23', 404],
    ])
    const expected = expectedUuids(fake, '20240301T00', '20240303T23')
    assertExactlyOnce(
      run.events.filter((e) => !e.event.startsWith('$identify') && e.event !== '$groupidentify'),
      expected,
    )
    expect(run.result.report.accounting.ok).toBe(true)
    expect(run.result.report.records.read).toBe(fake.exportable('20240301T00', '20240303T23').length)
    expect(run.result.report.filteredByReason.session_start).toBeGreaterThan(0)
    // Each (user, device) pair's $identify is delivered before the first event that carries the pair.
    const identified = new Set<string>()
    let pairs = 0
    for (const e of run.events) {
      if (e.event === '$identify') identified.add(`${e.distinct_id}|${e.properties.$anon_distinct_id}`)
      else if (e.properties.$amplitude_user_id && e.properties.$device_id) {
        pairs++
        expect(identified.has(`${e.distinct_id}|${e.properties.$device_id}`)).toBe(true)
      }
    }
    expect(pairs).toBeGreaterThan(0)
  })

  it('imports late rows with their own (days earlier) event time', async () => {
    const late = fake
      .exportable('20240301T00', '20240302T23')
      .filter(
        (r) => r.event_time.slice(0, 10) < r.server_upload_time.slice(0, 10) && r.event_type === 'Purchase',
      )
    expect(late.length).toBeGreaterThan(0)
    const run = await importToFile(fake)
    for (const row of late) {
      const event = run.events.find((e) => e.uuid === row.uuid)
      expect(event?.timestamp).toBe(`${row.event_time.replace(' ', 'T')}Z`)
      expect(event && event.timestamp < '2024-03-01').toBe(row.event_time < '2024-03-01')
    }
  })

  it('reads parts numbered from 1 as well as from 0', async () => {
    fake.set({ partBase: 1 })
    const run = await importToFile(fake, { end: '2024-03-01' })
    expect(run.result.status).toBe('done')
    assertExactlyOnce(run.events, expectedUuids(fake, '20240301T00', '20240301T23'))
  })

  it.each([403, 401] as const)(
    'stops on %i with a message about the key, secret or region',
    async (status) => {
      fake.set({ authFailureStatus: status })
      const run = await importToFile(fake, { secretKey: 'wrong-secret-value' })
      expect(run.result.status).toBe('failed')
      expect(run.result.report.error?.message).toMatch(
        new RegExp(`HTTP ${status}, wrong API key, secret or region`),
      )
      expect(run.result.report.error?.hint).toMatch(/--region eu|--region/)
      expect(JSON.stringify(run.result.report)).not.toContain('wrong-secret-value')
      expect(fake.requests()).toHaveLength(1)
    },
  )

  it('fails on a 404 that is not Amplitude\'s "no data" answer, instead of ending done with nothing read', async () => {
    // A path typo in --base-url: the fake answers an unknown path with a generic 404, as a proxy would.
    const run = await importToFile(fake, { baseUrl: `${fake.url}/eu` })
    expect(run.result.status).toBe('failed')
    expect(run.result.report.error?.message).toMatch(
      /HTTP 404 from .*\/eu\/api\/2\/export, not Amplitude's "No data available" answer/,
    )
    expect(run.result.report.error?.hint).toMatch(/--base-url: it is the host alone/)
    expect(run.result.report.records.read).toBe(0)
  })

  it('bisects a window that is too large (400) until it fits', async () => {
    const day = fake.exportable('20240301T00', '20240301T23')
    const dayBytes = day.reduce((s, r) => s + JSON.stringify(r).length + 1, 0)
    fake.set({ maxBytes: Math.ceil(dayBytes / 3) })
    const run = await importToFile(fake, { end: '2024-03-01' })
    expect(run.result.status).toBe('done')
    const statuses = fake.requests().map((r) => `${r.start}-${r.end}:${r.status}`)
    expect(statuses[0]).toBe('20240301T00-20240301T23:400')
    expect(statuses).toContain('20240301T00-20240301T11:400')
    const keys = run.result.report.perPartition.map((p) => p.key)
    expect(keys.length).toBeGreaterThan(2)
    expect(keys.every((k) => /^2024-03-01T\d{2}-\d{2}$/.test(k))).toBe(true)
    assertExactlyOnce(run.events, expectedUuids(fake, '20240301T00', '20240301T23'))
  })

  it('bisects on 504 and fetches the smaller windows', async () => {
    fake.set({ gatewayTimeout: ({ hours }) => hours > 6 })
    const run = await importToFile(fake, { end: '2024-03-01' })
    expect(run.result.status).toBe('done')
    expect(run.result.report.perPartition.map((p) => p.key)).toEqual([
      '2024-03-01T00-05',
      '2024-03-01T06-11',
      '2024-03-01T12-17',
      '2024-03-01T18-23',
    ])
    assertExactlyOnce(run.events, expectedUuids(fake, '20240301T00', '20240301T23'))
  })

  it('fails a single hour that is still too large, pointing at the S3 export', async () => {
    fake.set({ maxBytes: 10 })
    const run = await importToFile(fake, { start: '2024-03-01T05:00:00Z', end: '2024-03-01T07:00:00Z' })
    expect(run.result.status).toBe('failed')
    expect(run.result.report.error?.message).toMatch(/20240301T05\.\.20240301T05: export larger than 4 GB/)
    expect(run.result.report.error?.hint).toMatch(/S3 export/)
  })

  it('retries after 429 with Retry-After and still imports everything once', async () => {
    fake.set({ rateLimit: { after: 1, count: 2, retryAfterSeconds: 0 } })
    const run = await importToFile(fake, { end: '2024-03-02' })
    expect(run.result.status).toBe('done')
    expect(fake.requests().map((r) => r.status)).toEqual([200, 429, 429, 200])
    assertExactlyOnce(run.events, expectedUuids(fake, '20240301T00', '20240302T23'))
  })

  it('retries a truncated zip and a corrupt gzip entry without staging half a window', async () => {
    fake.set({ truncateFirst: 2, corruptGzipFirst: 3 })
    const run = await importToFile(fake, { end: '2024-03-01' })
    expect(run.result.status).toBe('done')
    expect(fake.requests().map((r) => r.status)).toEqual([200, 200, 200, 200])
    const expected = expectedUuids(fake, '20240301T00', '20240301T23')
    assertExactlyOnce(run.events, expected)
    expect(run.result.report.records.read).toBe(fake.exportable('20240301T00', '20240301T23').length)
  })

  it('retries a 503 and a connection reset mid-download: every event once', async () => {
    fake.set({ serverErrorsFirst: 1, resetFirst: 1 })
    const run = await importToFile(fake, { end: '2024-03-02' })
    expect(run.result.status).toBe('done')
    // Per day: a 503, a download cut by a reset, then a whole one.
    expect(fake.requests().map((r) => r.status)).toEqual([503, 200, 200, 503, 200, 200])
    assertExactlyOnce(run.events, expectedUuids(fake, '20240301T00', '20240302T23'))
    expect(run.result.report.records.read).toBe(fake.exportable('20240301T00', '20240302T23').length)
  })

  it('clips the end to now minus 2 hours and says so', async () => {
    const now = new Date('2024-03-02T10:30:00Z')
    fake.set({ now })
    const run = await importToFile(fake, { end: '2024-03-05' }, { now })
    fake.set({ now: NOW })
    expect(run.result.report.warnings.join('\n')).toMatch(/end clipped to 2024-03-02T08:00:00.000Z/)
    expect(run.result.report.perPartition.map((p) => p.key)).toEqual(['2024-03-01', '2024-03-02T00-07'])
    expect(fake.requests().at(-1)?.end).toBe('20240302T07')
  })

  it('applies event type and event time filters before staging', async () => {
    const run = await importToFile(fake, {
      end: '2024-03-01',
      eventTypes: ['Purchase', 'Search'],
      eventTimeStart: '2024-03-01T06:00:00Z',
    })
    const want = fake
      .exportable('20240301T00', '20240301T23')
      .filter((r) => ['Purchase', 'Search'].includes(r.event_type) && r.event_time >= '2024-03-01 06')
    const plain = run.events.filter((e) => e.event === 'Purchase' || e.event === 'Search')
    expect(plain.map((e) => e.uuid).sort()).toEqual(want.map((r) => r.uuid).sort())
    // Every record read is accounted for: those the filters left out are read and filtered, by reason.
    const all = fake.exportable('20240301T00', '20240301T23').length
    const report = run.result.report
    expect(report.records.read).toBe(all)
    expect(report.filteredByReason.event_filters).toBe(all - want.length)
    expect(report.accounting.ok).toBe(true)
  })
  it('keeps no request on the job after its partition: no leak warning over a dozen partitions', async () => {
    const now = new Date('2024-03-20T00:00:00Z')
    const long = await startFakeAmplitude({
      seed: 8,
      start: '2024-03-01T00:00:00Z',
      end: '2024-03-14T00:00:00Z',
      events: 260,
      now,
    })
    // Node warns once a signal holds 11 abort listeners; got adds one per stream request and never
    // removes it from a stream read to its end.
    const warnings: string[] = []
    const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`)
    process.on('warning', onWarning)
    try {
      const run = await importToFile(long, { start: '2024-03-01', end: '2024-03-13' }, { now })
      expect(run.result.status).toBe('done')
      expect(run.result.report.perPartition.length).toBe(13)
      await new Promise((resolve) => setImmediate(resolve))
      expect(warnings).toEqual([])
    } finally {
      process.off('warning', onWarning)
      await long.close()
    }
  })
})
