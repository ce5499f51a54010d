import { rm } from 'node:fs/promises'
import path from 'node:path'
import { type FakeAmplitude, startFakeAmplitude } from '@ph-import/connector-amplitude/testing'
import { seededRandom } from '@ph-import/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { amplitudeArgs, expectAmplitudeMapped } from './helpers/amplitude.js'
import { armKill, type Stage, StageTracker, type Target } from './helpers/chaos.js'
import { cliEnv, commonFlags, startCli, summaryOf, tempDir } from './helpers/cli.js'
import { SandboxProcess } from './helpers/sandbox-process.js'
import { expectExactAccounting, expectExactDelivery, readReport } from './helpers/verify.js'

// 8 upload days → 8 partitions of ~26k events. The rate keeps loading behind exporting, so batches are
// on the wire at most kills and a load-only tail is left for the last ones.
const RATE = 4000
const BATCH = 1000
const CONCURRENCY = 2 // core's default: batches in flight at once
const SEED = 20241128
const CLI_KILLS = 24
// The sandbox is killed during this run (counted from 0), once the run is loading.
const SANDBOX_RUN = 9
const EARLY: Target[] = ['export', 'transform', 'export2', 'transform', 'random']

let dir: string
let fake: FakeAmplitude
let sandbox: SandboxProcess

beforeAll(async () => {
  dir = await tempDir('crash')
  fake = await startFakeAmplitude({
    seed: 8,
    start: '2024-03-01T00:00:00Z',
    end: '2024-03-09T00:00:00Z',
    events: 200_000,
    apiKey: 'crash-api-key',
    secretKey: 'crash-secret-key',
  })
  sandbox = new SandboxProcess(path.join(dir, 'sandbox-data'))
  await sandbox.start()
})

afterAll(async () => {
  await sandbox?.stop()
  await fake?.close()
  if (dir) await rm(dir, { recursive: true, force: true })
})

function waitFor(run: ReturnType<typeof startCli>, test: () => boolean): Promise<boolean> {
  return new Promise((resolve) => {
    run.onLine(() => {
      if (test()) resolve(true)
    })
    run.done.then(() => resolve(false))
  })
}

describe('crash chaos: SIGKILL the CLI 20+ times across export, transform and load, and the sandbox once', () => {
  it('ends with every event exactly once in PostHog, resends bounded by the batches in flight', async () => {
    const stateDir = path.join(dir, 'state')
    const env = cliEnv(dir, { AMPLITUDE_API_KEY: fake.apiKey, AMPLITUDE_SECRET_KEY: fake.secretKey })
    const args = [
      ...amplitudeArgs(fake.url, '2024-03-01', '2024-03-08'),
      '--rate',
      String(RATE),
      '--batch-size',
      String(BATCH),
      ...commonFlags(stateDir, sandbox.url),
    ]
    const random = seededRandom(SEED)
    const kills: Array<{ stage: Stage; resentAfter: number }> = []
    let sandboxRestarted = false
    let final: Awaited<ReturnType<typeof startCli>['done']> | undefined

    for (let runIndex = 0; runIndex < 80 && !final; runIndex++) {
      const before = (await sandbox.client.stats()).duplicates
      const run = startCli(args, { cwd: dir, env })
      const tracker = new StageTracker()
      let killedIn: Stage | undefined
      const killCli = () => {
        killedIn ??= tracker.stage()
        run.child.kill('SIGKILL')
      }
      let disarm = () => {}
      if (runIndex === SANDBOX_RUN) {
        run.onLine((line) => tracker.feed(line))
        // Mid-load: kill the sandbox, let the CLI meet a dead port, bring it back on the same port and data.
        const loading = await waitFor(run, () => tracker.loaded > 0)
        if (loading) {
          await sandbox.kill()
          await new Promise((r) => setTimeout(r, 1500))
          await sandbox.start()
          sandboxRestarted = true
          const atRestart = tracker.loaded
          // Delivery resumed against the restarted sandbox: now kill the CLI too.
          if (await waitFor(run, () => tracker.loaded > atRestart)) killCli()
        }
      } else if (kills.length < CLI_KILLS) {
        const target = kills.length < 15 ? (EARLY[kills.length % EARLY.length] as Target) : 'load'
        disarm = armKill(run, tracker, target, random, killCli)
      } else run.onLine((line) => tracker.feed(line))
      const result = await run.done
      disarm()
      const resent = (await sandbox.client.stats()).duplicates - before
      const last = kills.at(-1)
      if (last) last.resentAfter += resent
      if (result.signal === 'SIGKILL') {
        kills.push({ stage: killedIn ?? 'startup', resentAfter: 0 })
        continue
      }
      // A run that met the dead sandbox for too long fails cleanly; the same command resumes it.
      if (result.code === 0) final = result
      else expect(result.code, result.stderr).toBe(1)
    }

    expect(final, 'the import never completed').toBeDefined()
    if (!final) return
    const summary = summaryOf(final)
    expect(summary.status).toBe('done')
    expect(sandboxRestarted).toBe(true)

    const byStage: Record<string, number> = {}
    for (const k of kills) byStage[k.stage] = (byStage[k.stage] ?? 0) + 1
    expect(kills.length).toBeGreaterThanOrEqual(20)
    // Six kills aim at export and six at transform; a delay can carry one past its stage's end (it then
    // counts for the next stage), so each stage must still see at least three.
    expect(byStage.export ?? 0).toBeGreaterThanOrEqual(3)
    expect(byStage.transform ?? 0).toBeGreaterThanOrEqual(3)
    expect(byStage.load ?? 0).toBeGreaterThanOrEqual(5)

    const rows = fake.exportable('20240301T00', '20240308T23')
    expect(rows.length).toBeGreaterThan(200_000)
    const uuids = await sandbox.client.uuids()
    expectExactDelivery(
      rows.map((r) => r.uuid),
      uuids,
    )
    const stats = await sandbox.client.stats()
    // A resend after a kill carries the same event under the same uuid, which PostHog merges.
    expect(stats.conflicting_uuids).toBe(0)
    const resends = kills.map((k) => k.resentAfter)
    const inFlight = CONCURRENCY * BATCH
    // Core's window holds at most `concurrency` batches in flight plus as many acknowledged but not yet
    // checkpointed, so one kill can resend at most twice the in-flight bound.
    expect(Math.max(...resends)).toBeLessThanOrEqual(2 * inFlight)
    console.log(
      `crash chaos: ${kills.length} CLI kills ${JSON.stringify(byStage)} + 1 sandbox kill; ` +
        `${stats.received} received, ${stats.unique_uuids} unique, ${stats.duplicates} resent ` +
        `(per kill max ${Math.max(...resends)}, over ${inFlight}: ${resends.filter((r) => r > inFlight).length}; ` +
        `bound ${inFlight}/kill = ${inFlight * (kills.length + 1)})`,
    )

    const report = await readReport(summary.jobDir)
    expectExactAccounting(report)
    expect(report.records.read).toBe(rows.length)
    expect(report.events.loaded).toBe(rows.length)
    expect(report.events.deadLettered).toBe(0)

    const pick = seededRandom(SEED + 1)
    for (let i = 0; i < 25; i++) {
      const row = rows[Math.floor(pick() * rows.length)]!
      const [stored] = await sandbox.client.events({ uuid: row.uuid })
      expectAmplitudeMapped(row, stored)
    }
  }, 360_000)
})
