import path from 'node:path'
import {
  createFileDestination,
  createReprocessSource,
  loadJob,
  MappingConfig,
  runImport,
} from '@ph-import/core'
import { readJsonLines } from '@ph-import/testkit'
import { afterAll, describe, expect, it } from 'vitest'
import { mixpanelSource } from '../src/index.js'
import { type FakeMixpanel, startFakeMixpanel } from '../src/testing.js'
import { BACKOFF, expectedUuid, importInto, readEvents, serviceAccountConfig, tempDir } from './helpers.js'

let fake: FakeMixpanel | undefined
afterAll(async () => {
  await fake?.close()
})

// Midnight in Los Angeles: in a pre-2023 project this row's `time` is a local wall-clock epoch.
const T = Date.parse('2024-03-05T08:00:00Z')

describe('rejects --retry transforms each reject in the partition it was read in', () => {
  it('a fixed event keeps the time zone and uuid of its window; a profile reject stays a profile', async () => {
    fake = await startFakeMixpanel({
      projects: [
        {
          timezone: 'America/Los_Angeles',
          createdAt: '2021-06-01',
          rows: [
            { event: 'ok', utcMs: T, properties: { distinct_id: 'u1', $insert_id: 'a1' } },
            // Over PostHog's 1 MB per event: dead-lettered, then retried with the property dropped.
            {
              event: 'big',
              utcMs: T + 1000,
              properties: { distinct_id: 'u1', $insert_id: 'a2', blob: 'x'.repeat(1_100_000) },
            },
          ],
          profiles: [
            { $distinct_id: 'u9', $properties: 'not an object' as unknown as Record<string, unknown> },
          ],
        },
      ],
    })
    const dir = tempDir()
    const config = serviceAccountConfig(fake, {
      start: '2024-03-04',
      end: '2024-03-06',
      timezone: 'America/Los_Angeles',
    })
    const { result } = await importInto(config, { stateDir: dir })
    expect(result.report.rejectsByCode).toEqual({ event_too_large: 1, malformed_profile: 1 })

    const job = await loadJob(dir, result.jobId)
    const out = path.join(dir, 'retried.jsonl')
    const retried = await runImport({
      source: createReprocessSource(mixpanelSource, {
        rejectsFile: job.paths.rejects,
        identity: job.state.identity,
        partitions: job.state.partitions,
      }),
      config,
      mapping: MappingConfig.parse({ properties: { drop: ['blob'] } }),
      destination: createFileDestination({ path: out }),
      stateDir: dir,
      backoff: BACKOFF,
      rate: 100_000,
    })
    const [big] = readEvents(out)
    const row = fake.project().rows.find((r) => r.event === 'big')
    if (!row) throw new Error('fixture row missing')
    // As the original job would have sent it: the local epoch read in the window's zone, the same uuid.
    expect(big).toMatchObject({
      event: 'big',
      uuid: expectedUuid(row),
      timestamp: new Date(T + 1000).toISOString(),
    })
    expect(big?.properties).not.toHaveProperty('blob')
    // The profile goes through the profile transform again (not the event one), and is refused for its reason.
    const again = readJsonLines<{ code: string }>((await loadJob(dir, retried.jobId)).paths.rejects)
    expect(again.map((r) => r.code)).toEqual(['malformed_profile'])
  })
})
