import { mkdir, rename } from 'node:fs/promises'
import path from 'node:path'
import type { EventHook } from '../contracts/mapping.js'
import type { AnySource } from '../contracts/source.js'
import { fsyncDir, writeFileAtomic } from './atomic-fs.js'
import { recordStager, type TransformCounts } from './record-stager.js'
import { SeenSet } from './seen-set.js'
import { LineWriter, readGzipChunks, splitLineChunks } from './staged-file.js'
import { emptyTransformCounts, type JobPaths, type PartitionState } from './state.js'
import { type TimeSpan, transformContext, widen } from './transform-context.js'

export type { TransformCounts } from './record-stager.js'

export interface TransformStageOptions {
  source: AnySource
  identity: string
  /** The parsed connector config and the mapping's connector overrides, handed to `transform`. */
  config?: unknown
  mappingOverrides?: Record<string, unknown>
  paths: JobPaths
  /** Keys `ctx.once` answered true for in committed partitions. */
  seen: SeenSet
  /** Mapping and user transform, composed; null/[] filters the event. */
  hooks: EventHook[]
  signal: AbortSignal
  onRecords?(n: number): void
}

/** A transformed partition whose files are still `.partial`: what `commitTransform` needs to finish it. */
export interface PartialTransform {
  counts: TransformCounts
  first?: string | undefined
  last?: string | undefined
  /** The hashes of the keys `ctx.once` answered true for, in order: the partition's seen keys. */
  claimHashes: number[]
  /** Of the events file, hashed as it was written, and its size. */
  sha256: string
  bytes: number
}

/** Opens a partition's `.partial` events and rejects files. */
export async function openPartials(
  p: PartitionState,
  paths: JobPaths,
): Promise<{ out: LineWriter; rejects: LineWriter }> {
  const eventsFile = paths.events(p)
  const rejectsFile = paths.transformRejects(p)
  await mkdir(path.dirname(eventsFile), { recursive: true })
  await mkdir(path.dirname(rejectsFile), { recursive: true })
  await mkdir(paths.seen, { recursive: true })
  const out = await LineWriter.open(`${eventsFile}.partial`, 'w', { sha256: true })
  const rejects = await LineWriter.open(`${rejectsFile}.partial`)
  return { out, rejects }
}

/** A partition's staged raw records, inflated, a chunk at a time. */
export function rawChunks(p: PartitionState, paths: JobPaths): AsyncIterable<Buffer> {
  // An empty export (Amplitude's 404, an empty day) stages a zero-byte file, which gunzip refuses.
  return p.export.bytes === 0 ? noChunks() : readGzipChunks(paths.raw(p))
}

async function* noChunks(): AsyncIterable<Buffer> {}

/**
 * Staged raw records → final wire-form event lines, in `.partial` files (see `commitTransform`), on this
 * thread. `ctx.once` answers true for a key that is neither in `opts.seen` nor claimed earlier in this
 * partition; `ctx.onceInPartition` for a key not asked earlier in this partition.
 */
export async function transformToPartial(
  p: PartitionState,
  opts: TransformStageOptions,
): Promise<PartialTransform> {
  const { out, rejects } = await openPartials(p, opts.paths)
  const claimHashes: number[] = []
  // Keys first seen in this partition; kept local until commit so a redo sees the same state.
  const localSeen = new SeenSet()
  const inPartition = new SeenSet()
  const t: TransformCounts = { ...p.transform, ...emptyTransformCounts() }
  const span: TimeSpan = {}
  const ctx = transformContext(
    p,
    opts,
    (key) => {
      const h = SeenSet.hash(key)
      if (opts.seen.has(h) || !localSeen.add(h)) return false
      claimHashes.push(h)
      return true
    },
    (key) => inPartition.add(SeenSet.hashInMemory(key)),
  )
  const stage = recordStager({ ...opts, ctx, partitionKey: p.key, counts: t, out, rejects })
  let lineNo = 0
  try {
    for await (const chunk of splitLineChunks(rawChunks(p, opts.paths))) {
      for (const line of chunk) {
        if (line === '') continue
        lineNo++
        t.records++
        if ((lineNo & 4095) === 0) {
          if (opts.signal.aborted) throw opts.signal.reason
          opts.onRecords?.(4096)
        }
        const outcome = stage(line, lineNo)
        const { first, last } = outcome instanceof Promise ? await outcome : outcome
        widen(span, first)
        widen(span, last)
      }
    }
    opts.onRecords?.(lineNo & 4095)
  } finally {
    await out.close()
    await rejects.close()
  }
  return { counts: t, ...span, claimHashes, sha256: out.sha256(), bytes: out.position }
}

/**
 * Finishes a partition, in job order: renames the `.partial` files into place. A crash before the rename
 * redoes the partition and never leaves half an events file or a duplicated reject. Seen keys commit with
 * it. Returns the hashes it added to `opts.seen`.
 */
export async function commitTransform(
  p: PartitionState,
  transformed: PartialTransform,
  opts: TransformStageOptions,
): Promise<number[]> {
  const { paths } = opts
  const eventsFile = paths.events(p)
  const rejectsFile = paths.transformRejects(p)
  // Durable before the state says done, as the events are: claims lost to a power cut would be made again
  // by later partitions (a second $identify), and rejects lost would leave records unaccounted for.
  await writeFileAtomic(paths.seenKeys(p), SeenSet.serialize(transformed.claimHashes))
  await rename(`${eventsFile}.partial`, eventsFile)
  await rename(`${rejectsFile}.partial`, rejectsFile)
  await Promise.all([fsyncDir(path.dirname(eventsFile)), fsyncDir(path.dirname(rejectsFile))])
  for (const h of transformed.claimHashes) opts.seen.add(h)
  p.transform = {
    ...transformed.counts,
    status: 'done',
    ...(transformed.first ? { firstTimestamp: transformed.first } : {}),
    ...(transformed.last ? { lastTimestamp: transformed.last } : {}),
    sha256: transformed.sha256,
    bytes: transformed.bytes,
  }
  return transformed.claimHashes
}

/** Transforms and commits one partition on this thread, against a `seen` set that is complete. */
export async function transformPartition(p: PartitionState, opts: TransformStageOptions): Promise<void> {
  await commitTransform(p, await transformToPartial(p, opts), opts)
}
