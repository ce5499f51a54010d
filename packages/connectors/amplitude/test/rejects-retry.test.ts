import path from 'node:path'
import {
  type AnySource,
  createFileDestination,
  createReprocessSource,
  loadJob,
  MappingConfig,
  type PostHogEvent,
  runImport,
} from '@ph-import/core'
import { describe, expect, it } from 'vitest'
import { amplitudeSource } from '../src/index.js'
import { readJsonLines, tempDir } from './helpers.js'

const NOW = new Date('2024-06-01T00:00:00Z')
const rows = [
  {
    uuid: 'a0000000-0000-4000-8000-000000000001',
    event_type: 'page',
    user_id: 'u1',
    device_id: 'd1',
    event_time: '2024-01-01 10:00:00.000',
  },
  // Over PostHog's 1 MB per event: dead-lettered, then retried with the property dropped.
  {
    uuid: 'a0000000-0000-4000-8000-000000000002',
    event_type: 'upload',
    user_id: 'u1',
    device_id: 'd1',
    event_time: '2024-01-05 10:00:00.000',
    event_properties: { blob: 'x'.repeat(1_100_000) },
  },
]
// The connector with its export replaced by these rows: its transform, identity and name are kept.
const source = {
  ...amplitudeSource,
  async *export() {
    yield { records: rows }
  },
} as unknown as AnySource
const config = { apiKey: 'k', secretKey: 's', start: '2024-01-01', end: '2024-01-01', projectId: 'p1' }

describe('rejects --retry after a mapping fix', () => {
  it('does not identify again a user and device the original job identified', async () => {
    const dir = tempDir()
    const stateDir = path.join(dir, 'state')
    const firstOut = path.join(dir, 'first.jsonl')
    const first = await runImport({
      source,
      config,
      destination: createFileDestination({ path: firstOut }),
      stateDir,
      now: NOW,
    })
    expect(first.report.rejectsByCode).toEqual({ event_too_large: 1 })
    const retryOut = path.join(dir, 'retry.jsonl')
    const retried = await runImport({
      source: createReprocessSource(source, {
        rejectsFile: path.join(first.jobDir, 'rejects.jsonl'),
        identity: (await loadJob(stateDir, first.jobId)).state.identity,
      }),
      config,
      mapping: MappingConfig.parse({ properties: { drop: ['blob'] } }),
      destination: createFileDestination({ path: retryOut }),
      stateDir,
      now: NOW,
      checkEarlierJobs: false,
      claimsFromJob: first.jobId,
    })
    expect(retried.status).toBe('done')
    const original = readJsonLines<PostHogEvent>(firstOut)
    const again = readJsonLines<PostHogEvent>(retryOut)
    expect(original.filter((e) => e.event === '$identify')).toHaveLength(1)
    // Only the fixed event: its $identify was the original job's, sent with the first event of the pair.
    expect(again.map((e) => e.event)).toEqual(['upload'])
    expect(again[0]?.properties).not.toHaveProperty('blob')
  })
})
