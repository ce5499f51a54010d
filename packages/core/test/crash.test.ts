import { spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
// @ts-expect-error plain ESM fixture shared with child processes
import { expectedValidIds, TestConfig } from './fixtures/test-source.mjs'
import { readJsonLines, tempDir } from './helpers.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const runJob = path.join(here, 'fixtures', 'run-job.mjs')

/** A seeded PRNG so a failing run can be replayed. */
function mulberry32(seed: number) {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function start(stateDir: string, out: string, config: object) {
  const child = spawn(process.execPath, [runJob, stateDir, out, JSON.stringify(config)], {
    env: { ...process.env, RATE: '8000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: string[] = []
  child.stdout.setEncoding('utf8').on('data', (d: string) => lines.push(...d.split('\n').filter(Boolean)))
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d
  })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { child, lines, exited, stderr: () => stderr }
}

/** What the job was doing when killed, read from what it left on disk. */
function phaseAtKill(stateDir: string, runStartedAt: number): string {
  const jobs = path.join(stateDir, 'jobs')
  if (!existsSync(jobs) || readdirSync(jobs).length === 0) return 'startup'
  const jobDir = path.join(jobs, readdirSync(jobs)[0]!)
  if (!existsSync(path.join(jobDir, 'state.json'))) return 'startup'
  const state = JSON.parse(readFileSync(path.join(jobDir, 'state.json'), 'utf8')) as {
    partitions: Array<{ export: { status: string }; transform: { status: string }; load: { status: string } }>
  }
  const eventsDir = path.join(jobDir, 'events')
  const midTransform =
    existsSync(eventsDir) &&
    readdirSync(eventsDir).some(
      (f) => f.endsWith('.partial') && statSync(path.join(eventsDir, f)).mtimeMs >= runStartedAt,
    )
  if (midTransform) return 'transform'
  if (state.partitions.some((p) => p.export.status !== 'done')) return 'export'
  if (state.partitions.some((p) => p.transform.status !== 'done')) return 'transform'
  return 'load'
}

describe('crash safety: SIGKILL at random moments, re-run the same command', () => {
  it('ends with every valid record exactly once and every invalid one dead-lettered once', async () => {
    const dir = tempDir('ph-import-crash-')
    const out = path.join(dir, 'out.jsonl')
    const stateDir = path.join(dir, 'state')
    const config = { days: 16, perDay: 5000, pageSize: 250, pageDelayMs: 4, token: 'crash-secret-token' }
    const random = mulberry32(20241128)
    const kills: string[] = []
    let finished = false
    // Kills are triggered by what the job is doing, not by wall-clock guesses, so they land in every
    // stage even on a loaded machine: early in export, mid-transform, in the load-only tail, and at random.
    const plan: Array<'export' | 'transform' | 'load' | 'random'> = [
      'export',
      'export',
      'export',
      'transform',
      'transform',
      'load',
      'load',
      'load',
      'random',
      'random',
      'random',
      'random',
    ]
    for (let run = 0; run < 60 && !finished; run++) {
      const runStartedAt = Date.now()
      const job = start(stateDir, out, config)
      const target = plan[kills.length]
      let timer: NodeJS.Timeout | undefined
      if (target) {
        const kill = () => job.child.kill('SIGKILL')
        const after = (ms: number) => {
          timer = setTimeout(kill, ms)
        }
        if (target === 'random') after(100 + random() * 1500)
        else {
          const poll = setInterval(() => {
            const seen = job.lines.join('\n')
            const ready =
              (target === 'export' && seen.includes('stage export started')) ||
              (target === 'transform' && seen.includes('stage transform started')) ||
              (target === 'load' && phaseAtKill(stateDir, 0) === 'load')
            if (ready) {
              clearInterval(poll)
              after(target === 'transform' ? 0 : random() * 150)
            }
          }, 5)
          job.exited.then(() => clearInterval(poll))
        }
      }
      const code = await job.exited
      clearTimeout(timer)
      if (code === 0) finished = true
      else if (job.child.signalCode === 'SIGKILL') kills.push(phaseAtKill(stateDir, runStartedAt))
      else throw new Error(`job exited with ${code}: ${job.stderr()}`)
    }
    expect(finished).toBe(true)
    expect(kills.length).toBeGreaterThanOrEqual(10)
    // Kills landed while exporting (loading overlaps it) and in the load-only tail.
    expect(kills).toContain('export')
    expect(kills).toContain('load')

    const events = readJsonLines<{ uuid: string; properties: { source_id: string } }>(out)
    const byId = new Map<string, number>()
    for (const e of events) byId.set(e.properties.source_id, (byId.get(e.properties.source_id) ?? 0) + 1)
    const expected = expectedValidIds(config) as string[]
    expect([...byId.keys()].sort()).toEqual([...expected].sort())
    // Resends happen only for batches in flight at a kill: concurrency 2 × batch 200 per kill.
    const resent = events.length - byId.size
    expect(resent).toBeLessThanOrEqual(kills.length * 2 * 200)
    // Same record, same uuid, whichever run sent it.
    const uuidById = new Map<string, string>()
    for (const e of events) {
      const prior = uuidById.get(e.properties.source_id)
      if (prior) expect(e.uuid).toBe(prior)
      uuidById.set(e.properties.source_id, e.uuid)
    }

    const jobDir = path.join(stateDir, 'jobs', readdirSync(path.join(stateDir, 'jobs'))[0]!)
    const rejects = readJsonLines<{ partition: string; line: number }>(path.join(jobDir, 'rejects.jsonl'))
    const parsed = TestConfig.parse(config)
    expect(rejects.length).toBe(parsed.days * parsed.perDay - expected.length)
    expect(new Set(rejects.map((r) => `${r.partition}:${r.line}`)).size).toBe(rejects.length)
    const report = JSON.parse(readFileSync(path.join(jobDir, 'report.json'), 'utf8'))
    expect(report.accounting.ok).toBe(true)
    expect(report.status).toBe('done')
    expect(report.records.read).toBe(parsed.days * parsed.perDay)
    expect(report.events.loaded).toBe(expected.length)
    const phases: Record<string, number> = {}
    for (const k of kills) phases[k] = (phases[k] ?? 0) + 1
    console.log(`crash test: ${kills.length} kills ${JSON.stringify(phases)}, ${resent} events resent`)
  }, 300_000)
})
