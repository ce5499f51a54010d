import { execFileSync, spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { PostHogEvent } from '@ph-import/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FakeAmplitude, startFakeAmplitude } from '../src/testing.js'
import { countBy, expectedUuids, fakeConfig, importToFile, NOW } from './harness.js'
import { readJsonLines, tempDir } from './helpers.js'

const here = path.dirname(fileURLToPath(import.meta.url))
let fake: FakeAmplitude
beforeAll(async () => {
  fake = await startFakeAmplitude({
    seed: 11,
    start: '2024-03-01T00:00:00Z',
    end: '2024-03-05T00:00:00Z',
    events: 1200,
    now: NOW,
  })
})
afterAll(() => fake.close())

const WINDOW = ['20240301T00', '20240304T23'] as const
const plainEvents = (events: PostHogEvent[]) =>
  events.filter((e) => e.event !== '$identify' && e.event !== '$groupidentify')

describe('resume after an interruption mid-range', () => {
  it('an aborted job re-run with the same command loads the rest: no duplicate, no gap', async () => {
    const dir = tempDir()
    const controller = new AbortController()
    const first = await importToFile(
      fake,
      { end: '2024-03-04' },
      {
        dir,
        signal: controller.signal,
        onProgress: (e) => {
          if (
            e.type === 'partition' &&
            e.stage === 'export' &&
            e.status === 'done' &&
            e.key === '2024-03-02'
          ) {
            controller.abort(new Error('user pressed ctrl-c'))
          }
        },
      },
    )
    expect(first.result.status).toBe('interrupted')
    expect(first.events.length).toBeLessThan(expectedUuids(fake, ...WINDOW).length)
    const second = await importToFile(fake, { end: '2024-03-04' }, { dir })
    expect(second.result.status).toBe('done')
    const counts = countBy(second.events, (e) => e.uuid)
    expect([...counts.values()].every((n) => n === 1)).toBe(true)
    expect(
      plainEvents(second.events)
        .map((e) => e.uuid)
        .sort(),
    ).toEqual(expectedUuids(fake, ...WINDOW).sort())
    // Each (user, device) pair is identified once across both runs.
    const identifies = second.events.filter((e) => e.event === '$identify')
    expect(new Set(identifies.map((e) => `${e.distinct_id}|${e.properties.$anon_distinct_id}`)).size).toBe(
      identifies.length,
    )
  })

  it('SIGKILLed twice mid-range, the same command finishes with every row, resends only of in-flight batches', async () => {
    const require = createRequire(import.meta.url)
    const tsc = require.resolve('typescript/bin/tsc')
    execFileSync(process.execPath, [tsc, '-p', path.join(here, '..', 'tsconfig.build.json')])
    const dir = tempDir()
    const out = path.join(dir, 'events.jsonl')
    const config = JSON.stringify(fakeConfig(fake, { end: '2024-03-04' }))
    const run = (killOn?: string) =>
      new Promise<{ code: number | null; killed: boolean }>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          [
            path.join(here, 'fixtures', 'run-job.mjs'),
            path.join(dir, 'state'),
            out,
            config,
            NOW.toISOString(),
          ],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        )
        let stderr = ''
        child.stderr.on('data', (d) => {
          stderr += d
        })
        child.stdout.setEncoding('utf8').on('data', (d: string) => {
          if (killOn && d.includes(killOn)) child.kill('SIGKILL')
        })
        child.on('error', reject)
        child.on('exit', (code, signal) => {
          if (code !== 0 && signal !== 'SIGKILL') reject(new Error(`job exited ${code}: ${stderr}`))
          resolve({ code, killed: signal === 'SIGKILL' })
        })
      })
    expect((await run('export done 2024-03-02')).killed).toBe(true)
    expect((await run('transform done 2024-03-03')).killed).toBe(true)
    expect((await run()).code).toBe(0)
    const events = readJsonLines<PostHogEvent>(out)
    const byUuid = new Map<string, string>()
    for (const e of events) {
      const prior = byUuid.get(e.uuid)
      // A resent event is the same event (same uuid, same content): PostHog collapses it.
      if (prior) expect(JSON.stringify(e)).toBe(prior)
      byUuid.set(e.uuid, JSON.stringify(e))
    }
    const expected = expectedUuids(fake, ...WINDOW)
    expect(
      plainEvents([...byUuid.values()].map((l) => JSON.parse(l)))
        .map((e) => e.uuid)
        .sort(),
    ).toEqual(expected.sort())
    // Only batches in flight at a kill are sent again: 2 kills × concurrency 2 × batch 50.
    expect(events.length - byUuid.size).toBeLessThanOrEqual(2 * 2 * 50)
  }, 60_000)
})
