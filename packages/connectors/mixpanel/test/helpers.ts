import path from 'node:path'
import {
  createFileDestination,
  deterministicUuid,
  type Partition,
  type PostHogEvent,
  type ProgressEvent,
  type RunImportOptions,
  runImport,
  type TransformContext,
} from '@ph-import/core'
import { readJsonLines, tempDir as testkitTempDir, testTransformContext } from '@ph-import/testkit'
import { mixpanelSource } from '../src/index.js'
import type { FakeEventRow, FakeMixpanel } from '../src/testing.js'

export const BACKOFF = { baseMs: 5, maxMs: 20, maxAttempts: 5 }

export function tempDir(prefix = 'ph-mixpanel-'): string {
  return testkitTempDir(prefix)
}

export function readEvents(file: string): PostHogEvent[] {
  return readJsonLines<PostHogEvent>(file)
}

/** A TransformContext like the runtime's: same uuids, `once` remembered across calls. */
export function transformContext(partition: Partition, identity = 'project:1234'): TransformContext {
  return testTransformContext({ source: 'mixpanel', identity, partition })
}

/** The uuid the connector must give a fake row (Mixpanel's dedupe key with the id it was recorded under, time in UTC ms). */
export function expectedUuid(row: FakeEventRow, identity = 'project:1234'): string {
  const p = row.properties
  const recordedId = p.$distinct_id_before_identity ?? p.distinct_id ?? ''
  const parts = [String(p.$insert_id ?? ''), row.event, String(recordedId), row.utcMs]
  return deterministicUuid('mixpanel', identity, parts.join('\u0000'))
}

export function serviceAccountConfig(fake: FakeMixpanel, extra: Record<string, unknown> = {}) {
  const project = fake.project()
  return {
    baseUrl: fake.url,
    projectId: project.id,
    serviceAccountUsername: project.serviceAccount.username,
    serviceAccountSecret: project.serviceAccount.secret,
    start: '2024-03-01',
    end: '2024-03-14',
    ...extra,
  }
}

export async function importInto(
  config: Record<string, unknown>,
  options: Partial<RunImportOptions> & { stateDir?: string; out?: string } = {},
) {
  const dir = options.stateDir ?? tempDir()
  const out = options.out ?? path.join(dir, 'out.jsonl')
  const progress: ProgressEvent[] = []
  const result = await runImport({
    source: mixpanelSource,
    config,
    destination: createFileDestination({ path: out }),
    stateDir: dir,
    backoff: BACKOFF,
    rate: 100_000,
    onProgress: (e) => progress.push(e),
    ...options,
  })
  return { result, events: readEvents(out), progress, dir, out }
}

/** The most requests the fake saw arrive within any `windowMs`. */
export function maxInWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b)
  let best = 0
  let lo = 0
  for (let hi = 0; hi < sorted.length; hi++) {
    while ((sorted[hi] as number) - (sorted[lo] as number) >= windowMs) lo++
    best = Math.max(best, hi - lo + 1)
  }
  return best
}
