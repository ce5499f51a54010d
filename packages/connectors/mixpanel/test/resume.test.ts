import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { mulberry32 } from '../src/fake-data.js'
import { type FakeMixpanel, startFakeMixpanel } from '../src/testing.js'
import { expectedUuid, importInto, readEvents, serviceAccountConfig, tempDir } from './helpers.js'

const runJob = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'run-job.mjs')

let fake: FakeMixpanel | undefined
afterEach(async () => {
  await fake?.close()
  fake = undefined
})

function expectComplete(f: FakeMixpanel, out: string): void {
  const events = readEvents(out)
  const rows = events.filter((e) => e.event !== '$set' && e.properties.mp_lib !== undefined)
  // Resends after a kill repeat a uuid (PostHog collapses those); a gap or a new uuid would be a bug.
  expect(new Set(rows.map((e) => e.uuid))).toEqual(new Set(f.project().rows.map((r) => expectedUuid(r))))
  expect(new Set(events.filter((e) => e.event === '$set').map((e) => e.distinct_id)).size).toBe(
    f.project().profiles.length,
  )
}

/** Runs the job in a child; kills it with SIGKILL after `killAfter` progress lines (never, if undefined). */
function runChild(stateDir: string, out: string, config: object, killAfter?: number) {
  return new Promise<{ killed: boolean; final?: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [runJob, stateDir, out, JSON.stringify(config)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let lines = 0
    let final: string | undefined
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d
    })
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      for (const line of d.split('\n').filter(Boolean)) {
        lines++
        const parsed = JSON.parse(line) as { final?: string }
        if (parsed.final) final = parsed.final
        if (killAfter !== undefined && lines >= killAfter && !child.killed) child.kill('SIGKILL')
      }
    })
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') return resolve({ killed: true })
      if (code !== 0) return reject(new Error(`child exited ${code}: ${stderr}`))
      resolve({ killed: false, ...(final ? { final } : {}) })
    })
  })
}

describe('resume after an interruption: no duplicate, no gap', () => {
  it('aborted mid-run, the same command finishes the job; re-downloads come back reordered', async () => {
    fake = await startFakeMixpanel({ seed: 3, projects: [{ eventsPerDay: 200 }] })
    const f = fake
    const config = serviceAccountConfig(f, { windowDays: 2, maxWindowDays: 2 })
    const stateDir = tempDir()
    const abort = new AbortController()
    const first = await importInto(config, {
      stateDir,
      signal: abort.signal,
      onProgress: (e) => {
        if (
          e.type === 'partition' &&
          e.stage === 'export' &&
          e.status === 'done' &&
          e.key.startsWith('events:2024-03-05')
        )
          abort.abort()
      },
    })
    expect(first.result.status).toBe('interrupted')
    f.resetRateLimits()
    const second = await importInto(config, { stateDir })
    expect(second.result.status).toBe('done')
    expectComplete(f, second.out)
    expect(second.events.length).toBe(new Set(second.events.map((e) => e.uuid)).size)
  })

  it('SIGKILLed at random moments, re-running the same command converges', async () => {
    fake = await startFakeMixpanel({ seed: 5, projects: [{ eventsPerDay: 300 }] })
    const f = fake
    const config = serviceAccountConfig(f, { windowDays: 2, maxWindowDays: 2 })
    const stateDir = tempDir()
    const out = path.join(stateDir, 'out.jsonl')
    const rand = mulberry32(2024)
    let kills = 0
    for (let run = 0; run < 4; run++) {
      f.resetRateLimits()
      const result = await runChild(stateDir, out, config, 1 + Math.floor(rand() * 20))
      if (result.killed) kills++
      else break
    }
    f.resetRateLimits()
    const last = await runChild(stateDir, out, config)
    expect(last.final).toBe('done')
    expect(kills).toBeGreaterThan(0)
    expectComplete(f, out)
  })
})
