import { afterEach, describe, expect, it } from 'vitest'
import { estimateDuration, windowPartition } from '../src/plan.js'
import type { MixpanelConfig } from '../src/schema.js'
import { type FakeMixpanel, startFakeMixpanel } from '../src/testing.js'
import { expectedUuid, importInto, serviceAccountConfig } from './helpers.js'

let fake: FakeMixpanel | undefined
afterEach(async () => {
  await fake?.close()
  fake = undefined
})

function exportWindows(f: FakeMixpanel): string[] {
  return f
    .requests()
    .filter((r) => r.endpoint === 'export' && r.status === 200)
    .map((r) => `${r.params.from_date}..${r.params.to_date}`)
}

function importedOnce(f: FakeMixpanel, uuids: string[]): void {
  expect(uuids.length).toBe(new Set(uuids).size)
  expect(new Set(uuids)).toEqual(new Set(f.project().rows.map((r) => expectedUuid(r))))
}

describe('window sizing from observed volume', () => {
  it('grows windows while days are small', async () => {
    fake = await startFakeMixpanel({
      projects: [{ from: '2024-03-01', to: '2024-04-29', eventsPerDay: 5, duplicateRate: 0 }],
    })
    const config = serviceAccountConfig(fake, {
      profiles: false,
      end: '2024-04-29',
      windowDays: 2,
      targetWindowEvents: 40,
    })
    const { result, events } = await importInto(config)
    expect(result.status).toBe('done')
    const windows = exportWindows(fake)
    // 5 events/day against a 40-event target: 2 days, then 8-day windows.
    expect(windows.slice(0, 3)).toEqual([
      '2024-03-01..2024-03-02',
      '2024-03-03..2024-03-10',
      '2024-03-11..2024-03-18',
    ])
    expect(windows.length).toBeLessThan(10)
    importedOnce(
      fake,
      events.filter((e) => e.properties.mp_lib !== undefined).map((e) => e.uuid),
    )
  })

  it('splits a window that turns out too big, then shrinks the windows after it', async () => {
    const eventsPerDay = (day: string) => (day === '2024-03-05' ? 2600 : 5)
    fake = await startFakeMixpanel({
      projects: [{ from: '2024-03-01', to: '2024-03-20', eventsPerDay, duplicateRate: 0 }],
    })
    const config = serviceAccountConfig(fake, {
      profiles: false,
      end: '2024-03-20',
      windowDays: 7,
      targetWindowEvents: 400,
    })
    const { result, events, progress } = await importInto(config)
    expect(result.status).toBe('done')
    const splits = progress
      .filter((p) => p.type === 'partition' && p.status === 'split')
      .map((p) => (p.type === 'partition' ? p.key : ''))
    expect(splits).toEqual([
      'events:2024-03-01..2024-03-07',
      'events:2024-03-04..2024-03-07',
      'events:2024-03-04..2024-03-05',
    ])
    const windows = exportWindows(fake)
    const burst = windows.indexOf('2024-03-05..2024-03-05')
    expect(burst).toBeGreaterThan(0)
    // After a 2,600-event day the next window is a single day again.
    expect(windows[burst + 1]).toBe('2024-03-06..2024-03-07')
    expect(windows[burst + 2]).toBe('2024-03-08..2024-03-08')
    importedOnce(
      fake,
      events.filter((e) => e.properties.mp_lib !== undefined).map((e) => e.uuid),
    )
  })
})

describe('the plan’s duration estimate', () => {
  const day = (i: number) => new Date(Date.UTC(2024, 0, 1 + i)).toISOString().slice(0, 10)
  const windows = (n: number) =>
    Array.from({ length: n }, (_, i) => windowPartition({ split: 0 }, day(i), day(i)))
  const config = { requestsPerHour: 60 } as MixpanelConfig

  it('spends the first hour’s budget at 3 queries a second, and names both limits', () => {
    const { seconds, note } = estimateDuration(windows(23), config)
    expect(seconds).toBe(8)
    expect(note).toBe(
      '23 Mixpanel queries within its limits (60/hour, 3/second) take at least 8 s; windows grow while days are small, so likely fewer',
    )
  })

  it('costs an hour per further hour’s budget', () => {
    expect(estimateDuration(windows(150), config)).toMatchObject({ seconds: 5400 })
    expect(estimateDuration(windows(150), config).note).toContain('take at least 1.5 h')
  })
})
