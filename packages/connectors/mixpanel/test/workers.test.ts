import type { PostHogEvent } from '@ph-import/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FakeMixpanel, startFakeMixpanel } from '../src/testing.js'
import { importInto, serviceAccountConfig } from './helpers.js'

let fake: FakeMixpanel
beforeAll(async () => {
  // Duplicate rows exercise `onceInPartition`; users seen on many days, `once` across partitions.
  fake = await startFakeMixpanel({ seed: 4, projects: [{ eventsPerDay: 250, duplicateRate: 0.05 }] })
})
afterAll(() => fake?.close())

const line = (e: PostHogEvent) => JSON.stringify(e)
const sourceModule = import.meta.resolve('@ph-import/connector-mixpanel')

// Each one-day window exports slower than it transforms, so a worker rarely transforms before the previous
// partition's keys reach it: this proves the pipeline with Mixpanel's data, while the settling of wrong
// `once` answers is proven by core's transform-claims test and the Amplitude one.
describe('transform on worker threads', () => {
  it('delivers the same events, identifies and report as a serial run', async () => {
    // One-day windows: many partitions, several on the workers at once.
    const config = serviceAccountConfig(fake, { end: '2024-03-08', windowDays: 1, maxWindowDays: 1 })
    const serial = await importInto(config)
    const parallel = await importInto(config, { transformWorkers: { sourceModule, count: 2 } })
    expect(parallel.result.status).toBe('done')
    expect(parallel.result.report.partitions.total).toBeGreaterThan(5)
    // Mixpanel reshuffles every download, so the two runs saw each day in another order: which row
    // carries a pair's `$identify` (its timestamp) may differ, the events and the identify uuids may not.
    const plain = (events: PostHogEvent[]) =>
      events
        .filter((e) => e.event !== '$identify')
        .map(line)
        .sort()
    const identifies = (events: PostHogEvent[]) =>
      events
        .filter((e) => e.event === '$identify')
        .map((e) => e.uuid)
        .sort()
    expect(plain(parallel.events)).toEqual(plain(serial.events))
    expect(identifies(parallel.events)).toEqual(identifies(serial.events))
    expect(new Set(identifies(parallel.events)).size).toBe(identifies(parallel.events).length)
    const { report: a } = parallel.result
    const { report: b } = serial.result
    expect([a.records, a.events, a.eventsByName, a.eventsByDay, a.filteredByReason, a.perPartition]).toEqual([
      b.records,
      b.events,
      b.eventsByName,
      b.eventsByDay,
      b.filteredByReason,
      b.perPartition,
    ])
    expect(a.filteredByReason.duplicate_in_export).toBeGreaterThan(0)
    expect(a.eventsByName.$identify).toBeGreaterThan(0)
  })
})
