import { createReadStream, rmSync } from 'node:fs'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { afterEach, describe, expect, it } from 'vitest'
import { writeSyntheticCsv } from '../src/testing.js'
import { startJob } from './child.js'
import { tempDir } from './helpers.js'

const ROWS = 500_000
const HEAP_MB = 64

// These jobs leave hundreds of MB (staged files, output): remove them.
const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

describe('a file larger than the memory the job may use', () => {
  it(`streams ${ROWS} rows through a job capped at a ${HEAP_MB} MB heap, resident memory flat`, async () => {
    const dir = tempDir()
    dirs.push(dir)
    const file = path.join(dir, 'big.csv.gz')
    await writeSyntheticCsv(file, { rows: ROWS, gzip: true })
    const out = path.join(dir, 'out.jsonl')
    // Holding the rows would take far more than the cap: 500k parsed rows are ~170 MB of strings and
    // objects, their staged JSON ~75 MB. A job that buffers a file dies with "heap out of memory".
    const { code, summary, stderr } = await startJob(
      { stateDir: path.join(dir, 'state'), out, config: { files: [file], pageSize: 5000 } },
      [`--max-old-space-size=${HEAP_MB}`],
    ).exited
    expect(stderr).not.toContain('heap out of memory')
    expect(code).toBe(0)
    expect(summary!.status).toBe('done')
    expect(summary!.records).toEqual({ read: ROWS, staged: ROWS, filtered: 0, rejected: 0 })
    // Resident memory (sampled every 20 ms) grows by the heap cap plus buffers at most, not with the file.
    expect(summary!.maxRss - summary!.baseRss).toBeLessThan(200 * 1024 * 1024)

    let count = 0
    const uuids = new Set<string>()
    for await (const line of createInterface({ input: createReadStream(out) })) {
      if (!line) continue
      count++
      uuids.add((JSON.parse(line) as { uuid: string }).uuid)
    }
    expect(count).toBe(ROWS)
    expect(uuids.size).toBe(ROWS)
  })
})
