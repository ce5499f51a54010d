import { createHash } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterEach, describe, expect, it } from 'vitest'
import type { AnySource } from '../src/contracts/source.js'
import { SeenSet } from '../src/runtime/seen-set.js'
import { JobPaths, newPartitionState, type PartitionState } from '../src/runtime/state.js'
import { TransformPool } from '../src/runtime/transform-pool.js'
import { type TransformStageOptions, transformPartition } from '../src/runtime/transform-stage.js'
// @ts-expect-error plain ESM fixture shared with worker threads
import claimsSource from './fixtures/claims-source.mjs'
import { tempDir } from './helpers.js'

const source = claimsSource as AnySource
const sourceModule = new URL('./fixtures/claims-source.mjs', import.meta.url).href
// Workers run built code: the worker script and the fixture's core come from dist.
const poolOptions = { workerUrl: new URL('../dist/runtime/transform-worker.js', import.meta.url) }

interface Row {
  user: string
  device: string
  insert: string
  kind?: 'bad' | 'invalid' | 'claim-then-reject' | 'ask-more'
}
type Variant = 'plain' | 'claim-then-reject' | 'ask-more'

/**
 * Partitions whose users overlap heavily, as consecutive days of one product do, with insert ids seen
 * twice far apart. Every 40 rows, a row of `variant`'s kind repeats the pair of a row ten before it.
 */
function rowsFor(partition: number, variant: Variant): Row[] {
  const rows: Row[] = []
  for (let i = 0; i < 400; i++) {
    const user = `u${(i * 7 + partition * 13) % 90}`
    rows.push({ user, device: `d${user}-${(i % 3) + partition}`, insert: `${partition}-${i % 350}` })
    if (i % 97 === 0) rows.push({ user, device: 'dx', insert: `bad-${partition}-${i}`, kind: 'bad' })
    if (i % 61 === 0) rows.push({ user, device: 'dy', insert: `invalid-${partition}-${i}`, kind: 'invalid' })
    if (variant !== 'plain' && i % 40 === 20) {
      const earlier = rows[rows.length - 10] as Row
      rows.push({
        user: earlier.user,
        device: earlier.device,
        insert: `again-${partition}-${i}`,
        kind: variant,
      })
    }
  }
  return rows
}

function stage(dir: string, variant: Variant): { paths: JobPaths; partitions: PartitionState[] } {
  const paths = new JobPaths(dir)
  mkdirSync(path.join(dir, 'raw'), { recursive: true })
  const partitions = [0, 1, 2, 3].map((n) => {
    const p = newPartitionState({ key: `day-${n}`, order: `day-${n}`, params: {} }, n)
    const text = `${rowsFor(n, variant)
      .map((r) => JSON.stringify(r))
      .join('\n')}\n`
    const gz = gzipSync(text)
    writeFileSync(paths.raw(p), gz)
    p.export = { ...p.export, status: 'done', bytes: gz.length, records: text.split('\n').length - 1 }
    return p
  })
  return { paths, partitions }
}

const options = (paths: JobPaths, seen: SeenSet): TransformStageOptions => ({
  source,
  identity: 'job',
  config: {},
  paths,
  seen,
  hooks: [],
  signal: new AbortController().signal,
})

function jobFiles(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const sub of ['events', 'rejects', 'seen']) {
    const folder = path.join(dir, sub)
    for (const f of readdirSync(folder).sort()) {
      const bytes = readFileSync(path.join(folder, f))
      // Seen files are sets of hashes: compare them as sets.
      out[`${sub}/${f}`] =
        sub === 'seen'
          ? [...new Float64Array(bytes.buffer, bytes.byteOffset, bytes.length / 8)].sort().join(',')
          : bytes.toString('utf8')
    }
  }
  return out
}

let pool: TransformPool | undefined
afterEach(async () => {
  await pool?.close()
  pool = undefined
})

describe('a partition transformed on worker threads, a batch each, settled in line order', () => {
  it.each([
    ['records with a wrong claim transformed again in place', 'plain'],
    ['...rejected records among them', 'claim-then-reject'],
    ['a record whose second transform asks about another key: the partition redone serially', 'ask-more'],
  ] as const)('%s: the same files and counts as a serial run', async (_name, variant) => {
    const serialDir = tempDir()
    const serial = stage(serialDir, variant)
    const serialSeen = new SeenSet()
    for (const p of serial.partitions) await transformPartition(p, options(serial.paths, serialSeen))

    const parallelDir = tempDir()
    const parallel = stage(parallelDir, variant)
    const seen = new SeenSet()
    // Batches of ~8 rows, so that many claims race one another between the workers.
    pool = new TransformPool({ sourceModule, config: {}, mappingOverrides: {}, identity: 'job' }, 2, seen, {
      ...poolOptions,
      batchBytes: 600,
    })
    // As the producer hands them on: the next partition is asked for before the previous one commits.
    const written = parallel.partitions.map((p) => pool?.transform(p, options(parallel.paths, seen)))
    for (const [i, p] of parallel.partitions.entries()) {
      await written[i]
      await pool.commit(p)
    }

    expect(jobFiles(parallelDir)).toEqual(jobFiles(serialDir))
    expect(parallel.partitions.map((p) => p.transform)).toEqual(serial.partitions.map((p) => p.transform))
    expect(seen.size).toBe(serialSeen.size)
    // Digests are taken while writing, never by reading back: they must still name the final bytes.
    for (const p of parallel.partitions)
      expect(p.transform.sha256).toBe(
        createHash('sha256')
          .update(readFileSync(parallel.paths.events(p)))
          .digest('hex'),
      )
    expect(readdirSync(path.join(parallelDir, 'events')).filter((f) => !f.endsWith('.jsonl'))).toEqual([])
    // Not vacuous: workers guessed wrong, and those records were transformed again (or, for `ask-more`,
    // partitions redone whole).
    expect(pool.stats.redone).toBeGreaterThan(variant === 'ask-more' ? 0 : 10)
    if (variant === 'ask-more') expect(pool.stats.serialRedos).toBeGreaterThan(0)
    else {
      expect(pool.stats.batches).toBeGreaterThan(100)
      expect(pool.stats.serialRedos).toBe(0)
    }
  })

  it('lines longer than a batch, and events outgrowing the shared buffers: still a serial run', async () => {
    // Rows of 600 kB: each is a batch of its own, larger than a slot's line buffer, and its two events
    // (an `$identify` and the event, each carrying the device) outgrow the slot's 1 MB events buffer.
    const rows: Row[] = Array.from({ length: 40 }, (_, i) => ({
      user: `u${i % 4}`,
      device: i % 10 === 5 ? `${'d'.repeat(600_000)}-${i}` : `d${i % 3}`,
      insert: `i${i}`,
    }))
    const staged = (dir: string) => {
      const paths = new JobPaths(dir)
      mkdirSync(path.join(dir, 'raw'), { recursive: true })
      const p = newPartitionState({ key: 'long', params: {} }, 0)
      // No newline after the last line: it counts all the same.
      const gz = gzipSync(rows.map((r) => JSON.stringify(r)).join('\n'))
      writeFileSync(paths.raw(p), gz)
      p.export = { ...p.export, status: 'done', bytes: gz.length, records: rows.length }
      return { paths, p }
    }
    const serialDir = tempDir()
    const serial = staged(serialDir)
    await transformPartition(serial.p, options(serial.paths, new SeenSet()))

    const parallelDir = tempDir()
    const parallel = staged(parallelDir)
    const seen = new SeenSet()
    pool = new TransformPool({ sourceModule, config: {}, mappingOverrides: {}, identity: 'job' }, 2, seen, {
      ...poolOptions,
      batchBytes: 300,
    })
    await pool.transform(parallel.p, options(parallel.paths, seen))
    await pool.commit(parallel.p)
    expect(jobFiles(parallelDir)).toEqual(jobFiles(serialDir))
    expect(parallel.p.transform).toEqual(serial.p.transform)
    expect(parallel.p.transform.records).toBe(40)
    expect(parallel.p.transform.byName).toMatchObject({ viewed: 40 })
  })
})
