import { createHash } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineSource, type TransformContext } from '../src/contracts/source.js'
import { SeenSet } from '../src/runtime/seen-set.js'
import { JobPaths, newPartitionState, type PartitionState } from '../src/runtime/state.js'
import {
  commitTransform,
  type TransformStageOptions,
  transformPartition,
  transformToPartial,
} from '../src/runtime/transform-stage.js'
import { tempDir } from './helpers.js'

interface Row {
  user: string
  device: string
  insert: string
  kind?: 'bad' | 'invalid' | 'claim-then-reject'
}

/** `once` gates an `$identify` per (user, device); `onceInPartition` drops repeated insert ids. */
const source = defineSource({
  name: 'claims-test',
  description: 'rows for the settle test',
  config: z.object({}),
  plan: () => [],
  async *export() {},
  transform(raw, ctx: TransformContext) {
    const row = raw as Row
    if (!ctx.onceInPartition(row.insert)) return ctx.filter('duplicate_in_export')
    const first = ctx.once(`${row.user}\u0000${row.device}`)
    if (row.kind === 'claim-then-reject') return ctx.reject('test_reject', 'rejected after claiming')
    if (row.kind === 'bad') return ctx.reject('test_reject', 'bad row')
    const timestamp = '2024-01-01T00:00:00.000Z'
    const event = {
      event: 'viewed',
      distinct_id: row.kind === 'invalid' ? '' : row.user,
      uuid: ctx.uuid('event', row.insert),
      timestamp,
      properties: { device: row.device },
    }
    if (!first) return event
    // Earlier than every event, and different per pair: a partition's first timestamp is an `$identify`,
    // often one that settling drops, so its first/last must be recomputed, not kept.
    const device = row.device.slice(row.device.lastIndexOf('-') + 1)
    const identify = {
      event: '$identify',
      distinct_id: row.user,
      uuid: ctx.uuid('identify', row.user, row.device),
      timestamp: `2023-12-01T00:0${device}:00.${row.user.slice(1).padStart(3, '0')}Z`,
      properties: { $anon_distinct_id: row.device },
    }
    return [identify, event]
  },
})

/** Partitions whose users overlap heavily, as consecutive days of one product do. */
function rowsFor(partition: number, withUnclean: boolean): Row[] {
  const rows: Row[] = []
  for (let i = 0; i < 400; i++) {
    const user = `u${(i * 7 + partition * 13) % 90}`
    rows.push({ user, device: `d${user}-${(i % 3) + partition}`, insert: `${partition}-${i % 350}` })
    if (i % 97 === 0) rows.push({ user, device: 'dx', insert: `bad-${partition}-${i}`, kind: 'bad' })
  }
  if (withUnclean && partition === 2)
    rows.splice(5, 0, { user: 'u0', device: 'du0-0', insert: 'cr', kind: 'claim-then-reject' })
  return rows
}

function stage(dir: string, withUnclean: boolean): { paths: JobPaths; partitions: PartitionState[] } {
  const paths = new JobPaths(dir)
  mkdirSync(path.join(dir, 'raw'), { recursive: true })
  const partitions = [0, 1, 2, 3].map((n) => {
    const p = newPartitionState({ key: `day-${n}`, order: `day-${n}`, params: {} }, n)
    const text = `${rowsFor(n, withUnclean)
      .map((r) => JSON.stringify(r))
      .join('\n')}\n`
    const gz = gzipSync(text)
    writeFileSync(paths.raw(p), gz)
    p.export = { ...p.export, status: 'done', bytes: gz.length, records: text.split('\n').length - 1 }
    return p
  })
  return { paths, partitions }
}

const options = (paths: JobPaths, seen: SeenSet, speculative = false): TransformStageOptions => ({
  speculative,
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

describe('partitions transformed side by side, settled at commit', () => {
  it.each([
    ['every flipped record redone in place', false],
    ['a flipped record that was rejected: the partition redone whole', true],
  ])('%s: the same files and counts as a serial run', async (_name, withUnclean) => {
    const serialDir = tempDir()
    const serial = stage(serialDir, withUnclean)
    const serialSeen = new SeenSet()
    for (const p of serial.partitions) await transformPartition(p, options(serial.paths, serialSeen))

    // The worst case for a worker: every partition transformed knowing nothing of the others.
    const parallelDir = tempDir()
    const parallel = stage(parallelDir, withUnclean)
    const partials = await Promise.all(
      parallel.partitions.map((p) => transformToPartial(p, options(parallel.paths, new SeenSet(), true))),
    )
    const seen = new SeenSet()
    for (const [i, p] of parallel.partitions.entries())
      await commitTransform(p, partials[i]!, options(parallel.paths, seen, true))

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
    // Not vacuous: every later partition had identifies to drop at commit, and some of its own to keep.
    const identifies = (p: PartitionState) => p.transform.byName.$identify ?? 0
    for (const [i, p] of parallel.partitions.entries()) {
      if (i === 0) continue
      expect(partials[i]!.counts.byName.$identify).toBeGreaterThan(identifies(p))
      expect(identifies(p)).toBeGreaterThan(0)
    }
    // ...and at least one partition's earliest event was an `$identify` that settling dropped.
    expect(
      parallel.partitions.some((p, i) => (partials[i]?.first ?? '') < (p.transform.firstTimestamp ?? '')),
    ).toBe(true)
    expect(readdirSync(path.join(parallelDir, 'events')).filter((f) => !f.endsWith('.jsonl'))).toEqual([])
  })
})
