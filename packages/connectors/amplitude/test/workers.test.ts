import type { PostHogEvent } from '@ph-import/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FakeAmplitude, startFakeAmplitude } from '../src/testing.js'
import { importToFile, NOW } from './harness.js'

let fake: FakeAmplitude
beforeAll(async () => {
  // Few users over four days: most (user, device) pairs show up on several days, so partitions
  // transformed side by side claim the same `$identify` keys and the later ones must give them up.
  fake = await startFakeAmplitude({
    seed: 5,
    start: '2024-03-01T00:00:00Z',
    end: '2024-03-05T00:00:00Z',
    events: 4000,
    users: 40,
    now: NOW,
  })
})
afterAll(() => fake.close())

const line = (e: PostHogEvent) => JSON.stringify(e)
const sourceModule = import.meta.resolve('@ph-import/connector-amplitude')

describe('transform on worker threads', () => {
  it('delivers exactly what a serial run delivers, in the same order, with the same report', async () => {
    const serial = await importToFile(fake, { end: '2024-03-04' })
    const parallel = await importToFile(
      fake,
      { end: '2024-03-04' },
      { transformWorkers: { sourceModule, count: 2 } },
    )
    expect(parallel.result.status).toBe('done')
    expect(parallel.events.length).toBeGreaterThan(3000)
    expect(parallel.events.map(line)).toEqual(serial.events.map(line))
    const figures = ({ report }: typeof serial.result) => ({
      records: report.records,
      events: report.events,
      eventsByName: report.eventsByName,
      eventsByDay: report.eventsByDay,
      filteredByReason: report.filteredByReason,
      rejectsByCode: report.rejectsByCode,
      perPartition: report.perPartition,
      accounting: report.accounting,
    })
    expect(figures(parallel.result)).toEqual(figures(serial.result))
    expect(parallel.result.report.partitions.total).toBeGreaterThan(2)
    const identifies = parallel.events.filter((e) => e.event === '$identify').map((e) => e.uuid)
    expect(new Set(identifies).size).toBe(identifies.length)
  })

  it('a connector module the workers cannot load fails the job, saying which module and what to do', async () => {
    const missing = new URL('./no-such-connector.js', import.meta.url).href
    const run = await importToFile(
      fake,
      { end: '2024-03-02' },
      { transformWorkers: { sourceModule: missing, count: 2 } },
    )
    expect(run.result.status).toBe('failed')
    expect(run.result.report.error?.message).toContain(`could not load the connector module ${missing}`)
    expect(run.result.report.error?.message).toContain('run without --workers')
    expect(run.events).toEqual([])
  })
})
