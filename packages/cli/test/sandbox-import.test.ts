import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { type Sandbox, startSandbox } from '@ph-import/sandbox'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { JsonLine } from '../src/json-output.js'
import { cli, isolatedEnv, jsonLines, shellWords, startCli, tempDir, writeEventsCsv } from './helpers.js'

let dir: string
let sandbox: Sandbox
let env: NodeJS.ProcessEnv
beforeAll(async () => {
  dir = await tempDir()
  sandbox = await startSandbox({ port: 0, dataDir: ':memory:' })
  env = isolatedEnv(dir, { POSTHOG_HOST: sandbox.url, POSTHOG_PROJECT_API_KEY: 'phc_sandbox' })
})
afterAll(() => sandbox.close())

describe('importing into the sandbox', () => {
  it('Ctrl-C stops cleanly (exit 130); the printed resume command completes with no duplicate', async () => {
    sandbox.reset()
    await writeEventsCsv(path.join(dir, 'big.csv'), 600)
    // Slow answers keep the job running long enough to be interrupted mid-load.
    sandbox.setFaults({ latencyMs: 150 })
    const run = startCli(
      ['csv', '--files', 'big.csv', '--batch-size', '20', '--json', '--state-dir', 'state'],
      {
        cwd: dir,
        env,
      },
    )
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        const loaded = jsonLines(run.stdout()).some(
          (l) => l.type === 'stats' && (l.eventsLoaded as number) > 0,
        )
        if (loaded) {
          clearInterval(timer)
          run.child.kill('SIGINT')
          resolve()
        }
      }, 50)
      run.done.then(() => {
        clearInterval(timer)
        reject(new Error(`finished before it could be interrupted:\n${run.stdout()}${run.stderr()}`))
      })
    })
    const stopped = await run.done
    expect(stopped.code).toBe(130)
    const summary = jsonLines(stopped.stdout)
      .map((l) => JsonLine.parse(l))
      .at(-1)
    if (summary?.type !== 'summary') throw new Error(`no summary: ${stopped.stdout}`)
    expect(summary.status).toBe('interrupted')
    expect(summary.report.events.loaded).toBeLessThan(600)
    // One partition, part-loaded: every command says the same number loaded, counted from the checkpoint.
    const loadedNow = summary.report.events.loaded
    expect(loadedNow).toBeGreaterThan(0)
    const listed = await cli(['jobs', '--state-dir', 'state', '--json'], { cwd: dir, env })
    const [job] = (
      JSON.parse(listed.stdout) as { jobs: Array<{ jobId: string; events: { loaded: number } }> }
    ).jobs
    expect(job?.events.loaded).toBe(loadedNow)
    const shown = await cli(['jobs', 'show', job?.jobId ?? '', '--state-dir', 'state'], { cwd: dir, env })
    expect(shown.stdout).toContain(`600 staged, ${loadedNow} loaded`)
    const resume = shellWords(summary.resumeCommand ?? '')
    expect(resume.slice(0, 2)).toEqual(['ph-import', 'resume'])

    sandbox.setFaults({ latencyMs: 0 })
    const resumed = await cli(resume.slice(1), { cwd: dir, env })
    expect(resumed.code).toBe(0)
    expect(resumed.stdout).toContain('600 loaded')
    const stats = sandbox.stats()
    expect(stats.unique_uuids).toBe(600)
    expect(stats.received).toBe(stats.unique_uuids)
  })

  it('another --transform module is another job, not a resume of the first', async () => {
    sandbox.reset()
    await writeEventsCsv(path.join(dir, 'hooked.csv'), 5)
    const run = (...extra: string[]) =>
      cli(['csv', '--files', 'hooked.csv', '--state-dir', 'state3', '--yes', ...extra], { cwd: dir, env })
    const plain = await run()
    expect(plain.code, plain.stderr).toBe(0)
    await writeFile(
      path.join(dir, 'hook.mjs'),
      "export default (e) => ({ ...e, event: 'renamed_' + e.event })\n",
    )
    const hooked = await run('--transform', 'hook.mjs')
    expect(hooked.code, hooked.stderr).toBe(0)
    // It used to resume the first (done) job: nothing sent, the hook never applied.
    expect(hooked.stdout).not.toContain('Resuming')
    const renamed = Object.keys(sandbox.stats().events_by_name).filter((name) => name.startsWith('renamed_'))
    expect(renamed.length).toBeGreaterThan(0)
    const jobId = /job (csv-\w+): done/.exec(hooked.stdout)?.[1] ?? ''
    expect(jobId).not.toBe(/job (csv-\w+): done/.exec(plain.stdout)?.[1])
  })

  it('jobs, jobs show (per-day chart with the gap), rejects export and retry after a mapping fix', async () => {
    sandbox.reset()
    // Row 5 carries a 1.2 MB payload: PostHog drops events over 1 MB, so it is dead-lettered.
    await writeEventsCsv(path.join(dir, 'payload.csv'), 12, (i) => (i === 5 ? 'x'.repeat(1_200_000) : 'ok'))
    const first = await cli(['csv', '--files', 'payload.csv', '--state-dir', 'state2'], { cwd: dir, env })
    expect(first.code).toBe(0)
    expect(first.stdout).toContain('event_too_large: 1')
    expect(sandbox.stats().unique_uuids).toBe(11)

    const jobs = await cli(['jobs', '--state-dir', 'state2'], { cwd: dir, env })
    expect(jobs.stdout).toMatch(/csv-\w+\s+csv\s+done\s+1\/1/)
    const jobId = /(csv-\w+)/.exec(jobs.stdout)?.[1] ?? ''

    const show = await cli(['jobs', 'show', jobId.slice(0, 8), '--state-dir', 'state2'], { cwd: dir, env })
    expect(show.code).toBe(0)
    expect(show.stdout).toContain('event_too_large: 1')
    expect(show.stdout).toMatch(/2024-01-03 ·\s+no events/)
    expect(show.stdout).toMatch(/2024-01-01 █+ 3/)

    const exported = await cli(['rejects', jobId, '--state-dir', 'state2', '--output', 'rejects.jsonl'], {
      cwd: dir,
      env,
    })
    expect(exported.stdout).toMatch(/transform\s+event_too_large\s+1/)
    // The example is cut visibly at 100 characters; the whole message is in the file.
    expect(exported.stdout).toMatch(/event_too_large\s+1\s+event is \d+ bytes serialized.{60,}…\n/)
    // What mends it, and the retry command, since a mapping can mend it.
    expect(exported.stdout).toMatch(
      /event_too_large: PostHog keeps events under 1 MB: drop the largest properties/,
    )
    expect(exported.stdout).toContain(
      `Then send them again: ph-import rejects ${jobId} --retry [--mapping <file>]`,
    )
    expect((await readFile(path.join(dir, 'rejects.jsonl'), 'utf8')).trim().split('\n')).toHaveLength(1)

    await writeFile(path.join(dir, 'fixed.yaml'), 'properties:\n  drop: [payload]\n')
    const retry = await cli(
      ['rejects', jobId, '--state-dir', 'state2', '--retry', '--mapping', 'fixed.yaml', '--yes'],
      {
        cwd: dir,
        env,
      },
    )
    expect(retry.code).toBe(0)
    expect(retry.stdout).toContain('1 loaded')
    const stats = sandbox.stats()
    expect(stats.unique_uuids).toBe(12)
    expect(stats.received).toBe(12)
  })
  it('rejects says what mends each code, and offers no retry when none can mend them', async () => {
    sandbox.reset()
    await writeFile(
      path.join(dir, 'broken.csv'),
      'event,distinct_id,timestamp\nok,u1,2024-01-01T00:00:00Z\nragged,u2,2024-01-01T00:00:00Z,extra\nbad,u3,2024-02-30T00:00:00Z\n',
    )
    const run = await cli(['csv', '--files', 'broken.csv', '--state-dir', 'state3'], { cwd: dir, env })
    expect(run.code).toBe(0)
    // The summary names the events it made, most frequent first.
    expect(run.stdout).toContain('  by name     ok: 1\n')
    const jobId = /(csv-\w+)/.exec(run.stdout)?.[1] ?? ''
    // `jobs` counts them, and tells a dry run from the import.
    await cli(['csv', '--files', 'broken.csv', '--state-dir', 'state3', '--dry-run'], { cwd: dir, env })
    const jobs = (await cli(['jobs', '--state-dir', 'state3'], { cwd: dir, env })).stdout
    expect(jobs).toMatch(new RegExp(`${jobId}\\s+csv\\s+done\\s+1/1\\s+1\\s+1\\s+2\\s`))
    expect(jobs).toMatch(/csv-\w+\s+csv\s+done \(dry run\)\s+1\/1\s+1\s+1\s+2\s/)
    const listed = await cli(['rejects', jobId, '--state-dir', 'state3'], { cwd: dir, env })
    expect(listed.stdout).toMatch(/ragged_row: quote values that hold the delimiter/)
    expect(listed.stdout).toMatch(/invalid_timestamp: give the time format with --timestamp-format/)
    expect(listed.stdout).not.toContain('--retry')
    const json = await cli(['rejects', jobId, '--state-dir', 'state3', '--json'], { cwd: dir, env })
    const byCode = (JSON.parse(json.stdout) as { byCode: Array<{ code: string; remedy: string }> }).byCode
    expect(byCode.map((r) => [r.code, r.remedy]).sort()).toEqual([
      ['invalid_timestamp', 'config'],
      ['ragged_row', 'input'],
    ])
  })

  it('verify: counts the job in PostHog by day, and names the days PostHog did not keep', async () => {
    sandbox.reset()
    await writeEventsCsv(path.join(dir, 'verify.csv'), 400)
    const query = (id: string, extra: string[] = [], keys: Record<string, string> = {}) =>
      cli(['verify', id, '--state-dir', 'verify-state', ...extra], {
        cwd: dir,
        env: { ...env, POSTHOG_PERSONAL_API_KEY: 'phx_sandbox', POSTHOG_PROJECT_ID: '1', ...keys },
      })
    // PostHog answers 200 and keeps nothing for a project over its quota: the job alone cannot tell.
    sandbox.setFaults({ overQuotaRate: 0.3 })
    const run = await cli(
      ['csv', '--files', 'verify.csv', '--batch-size', '20', '--state-dir', 'verify-state'],
      {
        cwd: dir,
        env,
      },
    )
    sandbox.setFaults({})
    expect(run.code).toBe(0)
    expect(sandbox.stats().faults.over_quota).toBeGreaterThan(0)
    const kept = sandbox.uniqueUuids().size
    expect(kept).toBeLessThan(400)

    const short = await query('csv')
    expect(short.code).toBe(1)
    expect(short.stdout).toMatch(/4 compared: \d match, [1-4] short, 0 over/)
    expect(short.stdout).toContain(`job 400 loaded, PostHog ${kept} (${400 - kept} missing)`)
    expect(short.stdout).toMatch(/2024-01-01 +100 +\d+ +-\d+/)
    expect(short.stdout).toContain('--fresh')

    // Sent again, PostHog keeps what it dropped and deduplicates the rest by uuid.
    const again = await cli(
      ['csv', '--files', 'verify.csv', '--batch-size', '20', '--state-dir', 'verify-state', '--fresh'],
      { cwd: dir, env },
    )
    expect(again.code).toBe(0)
    const ok = await query('csv', ['--json'])
    expect(ok.code).toBe(0)
    const line = JSON.parse(ok.stdout.trim()) as { ok: boolean; missing: number; days: unknown[] }
    expect(line).toMatchObject({ type: 'verify', ok: true, missing: 0 })
    expect(line.days).toEqual([
      { day: '2024-01-01', job: 100, posthog: 100 },
      { day: '2024-01-02', job: 100, posthog: 100 },
      { day: '2024-01-04', job: 100, posthog: 100 },
      { day: '2024-01-05', job: 100, posthog: 100 },
    ])

    const refused = await query('csv', [], { POSTHOG_PERSONAL_API_KEY: 'phx_not_this_one' })
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/refused the personal API key \(HTTP 401\)/)
    expect(refused.stderr).toContain('Query Read')
    expect(`${refused.stdout}${refused.stderr}`).not.toContain('phx_not_this_one')
    const noProject = await query('csv', [], { POSTHOG_PROJECT_ID: '999' })
    expect(noProject.code).toBe(1)
    expect(noProject.stderr).toMatch(/has no project 999 \(HTTP 404\)/)

    // The same file with uuids derived another way is a new job, and verify then shows every day over
    // (it counts distinct uuids), pointing at the cause. (No warning before: a file has no named data set.)
    const rederived = await cli(
      ['csv', '--files', 'verify.csv', '--uuid-from', 'file-line', '--state-dir', 'verify-state', '--yes'],
      { cwd: dir, env },
    )
    expect(rederived.code).toBe(0)
    const first = JSON.parse(
      (await cli(['jobs', '--state-dir', 'verify-state', '--json'], { cwd: dir, env })).stdout,
    ).jobs.at(-1).jobId as string
    const doubled = await query(first)
    expect(doubled.code).toBe(0)
    expect(doubled.stdout).toMatch(/4 compared: 0 match, 0 short, 4 over/)
    expect(doubled.stdout).toContain(
      'If it sent the same data with other settings, those events are in PostHog twice',
    )
  })
})
