import { expect, it } from 'vitest'
import { buildReport } from '../src/runtime/report.js'
import { JobPaths, type JobState, newPartitionState } from '../src/runtime/state.js'
import { resumedStats } from '../src/runtime/stats-ticker.js'

it("a resumed run's progress starts where the last run stopped: read, staged and loaded as the summary counts them", () => {
  const done = newPartitionState({ key: 'a', params: {} }, 0)
  done.export = { status: 'done', attempts: 1, records: 100, bytes: 1, skipped: { event_filters: 20 } }
  done.transform.status = 'done'
  done.transform.events = 100
  done.load = { status: 'done', loaded: 98, deadLettered: 2 }
  const half = newPartitionState({ key: 'b', params: {} }, 1)
  half.export = { status: 'done', attempts: 1, records: 50, bytes: 1 }
  half.transform.status = 'done'
  half.transform.events = 50
  half.load.deadLettered = 1
  const partial = newPartitionState({ key: 'c', params: {} }, 2)
  partial.export = { status: 'partial', attempts: 1, records: 30, bytes: 1, cursor: 'x' }
  const pending = newPartitionState({ key: 'd', params: {} }, 3)
  const state = { partitions: [done, half, partial, pending] } as unknown as JobState
  // The load checkpoint has passed 21 lines of b, one of them dead-lettered.
  const stats = resumedStats(state, { lines: { b: 21 }, updatedAt: '' })
  expect(stats).toEqual({ read: 120 + 50 + 30, staged: 150, loaded: 98 + 20, dead: 3 })
})

it('a report of a run stopped mid-read counts what was read, and its accounting still holds for what is done', () => {
  const done = newPartitionState({ key: 'a', params: {} }, 0)
  done.export = { status: 'done', attempts: 1, records: 10, bytes: 1 }
  done.transform.status = 'done'
  done.transform.stagedRecords = 9
  done.transform.rejected = 1
  done.transform.events = 9
  done.load = { status: 'done', loaded: 9, deadLettered: 0 }
  const partial = newPartitionState({ key: 'b', params: {} }, 1)
  partial.export = { status: 'partial', attempts: 1, records: 30, bytes: 1, cursor: 'x' }
  const state = {
    jobId: 'j',
    source: 's',
    status: 'interrupted',
    destination: 'd',
    warnings: [],
    partitions: [done, partial],
  } as unknown as JobState
  const at = new Date()
  const report = buildReport(
    state,
    { lines: {}, updatedAt: '' },
    new JobPaths('/tmp/none'),
    { startedAt: at, finishedAt: at },
    {},
  )
  expect(report.records).toEqual({ read: 40, staged: 9, filtered: 0, rejected: 1 })
  expect(report.accounting.ok).toBe(true)
})

it("the report's time range is the events', not the profiles' (dated by when each person was created)", () => {
  const transformed = (key: string, kind: string | undefined, first: string, last: string) => {
    const p = newPartitionState({ key, ...(kind ? { kind } : {}), params: {} }, 0)
    p.export = { status: 'done', attempts: 1, records: 1, bytes: 1 }
    Object.assign(p.transform, {
      status: 'done',
      stagedRecords: 1,
      events: 1,
      firstTimestamp: first,
      lastTimestamp: last,
    })
    return p
  }
  const profiles = transformed('profiles', 'profiles', '2019-02-01T00:00:00.000Z', '2024-03-02T00:00:00.000Z')
  const march = transformed('2024-03', 'events', '2024-03-01T00:00:00.000Z', '2024-03-31T23:00:00.000Z')
  const file = transformed('f.csv', undefined, '2024-04-01T00:00:00.000Z', '2024-04-02T00:00:00.000Z')
  const report = (partitions: unknown[]) =>
    buildReport(
      {
        jobId: 'j',
        source: 's',
        status: 'done',
        destination: 'd',
        warnings: [],
        partitions,
      } as unknown as JobState,
      { lines: {}, updatedAt: '' },
      new JobPaths('/tmp/none'),
      { startedAt: new Date(), finishedAt: new Date() },
      {},
    )
  const mixed = report([profiles, march, file])
  expect([mixed.firstTimestamp, mixed.lastTimestamp]).toEqual([
    '2024-03-01T00:00:00.000Z',
    '2024-04-02T00:00:00.000Z',
  ])
  // Profiles alone: their range is the only one there is.
  expect(report([profiles]).firstTimestamp).toBe('2019-02-01T00:00:00.000Z')
})

it('the ETA counts the partitions not staged yet, as many events as the staged ones held on average', async () => {
  const { eventsToCome } = await import('../src/runtime/stats-ticker.js')
  const staged = (key: string) => {
    const p = newPartitionState({ key, params: {} }, 0)
    p.export = { status: 'done', attempts: 1, records: 100, bytes: 1 }
    Object.assign(p.transform, { status: 'done', events: 100 })
    return p
  }
  const waiting = [0, 1, 2].map((i) => newPartitionState({ key: `w${i}`, params: {} }, i))
  const failed = newPartitionState({ key: 'f', params: {} }, 9)
  failed.export.status = 'failed'
  const state = { partitions: [staged('a'), staged('b'), ...waiting, failed] } as unknown as JobState
  // 200 staged, 150 sent: 50 left of them, and three partitions of about 100 to come (not the failed one).
  expect(eventsToCome({ read: 200, staged: 200, loaded: 150, dead: 0 }, state)).toBe(350)
})
