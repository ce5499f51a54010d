import path from 'node:path'
import { createFileDestination, type PostHogEvent, type RunImportOptions, runImport } from '@ph-import/core'
import { amplitudeSource } from '../src/index.js'
import type { FakeAmplitude } from '../src/testing.js'
import { readJsonLines, tempDir } from './helpers.js'

export const NOW = new Date('2024-03-10T00:00:00Z')
export const FAST_BACKOFF = { baseMs: 5, maxMs: 20, maxAttempts: 5 }

export function fakeConfig(fake: FakeAmplitude, extra: Record<string, unknown> = {}) {
  return {
    apiKey: fake.apiKey,
    secretKey: fake.secretKey,
    baseUrl: fake.url,
    start: '2024-03-01',
    end: '2024-03-03',
    ...extra,
  }
}

export interface ImportRun {
  result: Awaited<ReturnType<typeof runImport>>
  events: PostHogEvent[]
  out: string
  stateDir: string
}

/** fake Amplitude → runImport → a JSON-lines file; returns the job result and what was delivered. */
export async function importToFile(
  fake: FakeAmplitude,
  extra: Record<string, unknown> = {},
  options: Partial<RunImportOptions> & { dir?: string } = {},
): Promise<ImportRun> {
  const dir = options.dir ?? tempDir()
  const out = path.join(dir, 'events.jsonl')
  const stateDir = path.join(dir, 'state')
  const result = await runImport({
    source: amplitudeSource,
    config: fakeConfig(fake, extra),
    destination: createFileDestination({ path: out }),
    stateDir,
    now: NOW,
    rate: 1_000_000,
    backoff: FAST_BACKOFF,
    ...options,
  })
  return { result, events: readJsonLines<PostHogEvent>(out), out, stateDir }
}

/** Uuids of the rows an import of the window should deliver as plain events (session events are filtered). */
export function expectedUuids(fake: FakeAmplitude, startHour: string, endHour: string): string[] {
  return fake
    .exportable(startHour, endHour)
    .filter((r) => r.event_type !== 'session_start' && r.event_type !== 'session_end')
    .map((r) => r.uuid)
}

export function countBy<T>(items: readonly T[], key: (t: T) => string): Map<string, number> {
  const m = new Map<string, number>()
  for (const item of items) m.set(key(item), (m.get(key(item)) ?? 0) + 1)
  return m
}
