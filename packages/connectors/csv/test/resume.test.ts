import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { writeSyntheticCsv } from '../src/testing.js'
import { startJob } from './child.js'
import { readJsonLines, tempDir } from './helpers.js'

const ROWS_PER_FILE = 120_000
const BATCH = 2000

interface PartitionState {
  key: string
  export: { status: string; records: number; cursor?: { offset: number; line: number } }
}

function readPartitions(stateDir: string): PartitionState[] | undefined {
  const jobs = path.join(stateDir, 'jobs')
  if (!existsSync(jobs)) return undefined
  const [job] = readdirSync(jobs)
  const file = job ? path.join(jobs, job, 'state.json') : ''
  if (!job || !existsSync(file)) return undefined
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { partitions: PartitionState[] }).partitions
  } catch {
    return undefined
  }
}

// These jobs leave hundreds of MB (staged files, output): remove them.
const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

describe('resume after a crash mid-file', () => {
  it('SIGKILL while exporting a gzipped and a plain file: the re-run continues from the cursor, every row once', async () => {
    const dir = tempDir()
    dirs.push(dir)
    const files = [path.join(dir, 'a.csv.gz'), path.join(dir, 'b.csv')]
    await writeSyntheticCsv(files[0]!, { rows: ROWS_PER_FILE, gzip: true, newline: '\r\n' })
    await writeSyntheticCsv(files[1]!, { rows: ROWS_PER_FILE, startMs: Date.UTC(2024, 6, 1) })
    const job = {
      stateDir: path.join(dir, 'state'),
      out: path.join(dir, 'out.jsonl'),
      config: { files: [path.join(dir, '*.csv*')], pageSize: 500 },
    }

    // Kill once inside each file's export, right after a mid-file checkpoint was saved.
    const killedAt: PartitionState[] = []
    for (const name of ['a.csv.gz', 'b.csv']) {
      const run = startJob(job)
      let victim: PartitionState | undefined
      while (!victim && run.child.exitCode === null) {
        victim = readPartitions(job.stateDir)?.find(
          (p) => p.key.endsWith(name) && p.export.status === 'partial' && p.export.records > 0,
        )
        if (!victim) await sleep(5)
      }
      run.child.kill('SIGKILL')
      const { code } = await run.exited
      expect(victim, `the job finished before a checkpoint inside ${name}`).toBeDefined()
      expect(code).toBeNull()
      killedAt.push(victim!)
    }
    for (const p of killedAt) {
      expect(p.export.records).toBeLessThan(ROWS_PER_FILE)
      expect(p.export.cursor!.offset).toBeGreaterThan(0)
    }

    const final = await startJob(job).exited
    expect(final.code, final.stderr).toBe(0)
    expect(final.summary!.status).toBe('done')
    // Each file was staged exactly once: the resumed export truncated to its checkpoint and went on
    // from the cursor instead of appending a second copy.
    const partitions = readPartitions(job.stateDir)!
    expect(partitions.map((p) => p.export.records)).toEqual([ROWS_PER_FILE, ROWS_PER_FILE])

    const lines = readJsonLines<{ uuid: string; properties: { n: string } }>(job.out)
    const uuids = new Set(lines.map((e) => e.uuid))
    expect(uuids.size).toBe(2 * ROWS_PER_FILE)
    const rowNumbers = new Set(lines.map((e) => e.properties.n))
    expect(rowNumbers.size).toBe(ROWS_PER_FILE)
    // Resent lines come only from batches in flight at a kill (same uuids: PostHog keeps one).
    expect(lines.length - uuids.size).toBeLessThanOrEqual(killedAt.length * 4 * BATCH)
  })
})
