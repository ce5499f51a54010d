import { rm, stat } from 'node:fs/promises'
import { FatalError } from '../contracts/errors.js'
import { SeenSet } from './seen-set.js'
import {
  emptyTransformCounts,
  JobPaths,
  type JobState,
  type LoadCheckpoint,
  type PartitionState,
  readState,
} from './state.js'
import { commitTransform, type TransformStageOptions, transformToPartial } from './transform-stage.js'

/** The size of a file, or undefined when it is missing. */
async function sizeOf(file: string): Promise<number | undefined> {
  try {
    return (await stat(file)).size
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

function exportAgain(p: PartitionState): void {
  p.export = { status: 'pending', attempts: 0, records: 0, bytes: 0 }
}

function transformAgain(p: PartitionState): void {
  p.transform = { status: 'pending', ...emptyTransformCounts() }
}

/**
 * Before a resumed job sends anything: every staged file it still needs must be the one it wrote. A file
 * that is missing or has another size (deleted, truncated, copied half-way) is staged again, from the staged
 * export when that is intact, else from the source, as long as none of the partition's events were sent.
 * Returns the partitions partly sent whose events file must be rebuilt byte for byte from their staged
 * export (`rebuildEvents`); throws when that export is damaged too, since nothing could then say which
 * events were already sent.
 */
export async function checkStagedFiles(
  state: JobState,
  paths: JobPaths,
  checkpoint: LoadCheckpoint,
  warn: (message: string) => void,
): Promise<PartitionState[]> {
  const rebuild: PartitionState[] = []
  for (const p of state.partitions) {
    if (p.load.status === 'done') continue
    const rawSize = await sizeOf(paths.raw(p))
    // A committed export is exactly `bytes` long; a partial one is truncated back to them on resume.
    const rawIntact =
      p.export.status === 'done'
        ? rawSize === p.export.bytes || (p.export.bytes === 0 && rawSize === undefined)
        : p.export.status !== 'partial' || (rawSize ?? 0) >= p.export.bytes
    if (p.transform.status !== 'done') {
      if (!rawIntact) {
        warn(
          `partition ${p.key}: its staged export ${paths.raw(p)} is missing or changed; exporting it again`,
        )
        exportAgain(p)
      }
      continue
    }
    const eventsSize = await sizeOf(paths.events(p))
    if (eventsSize !== undefined && (p.transform.bytes === undefined || eventsSize === p.transform.bytes))
      continue
    const what = `partition ${p.key}: its staged events file ${paths.events(p)} is ${
      eventsSize === undefined ? 'missing' : `${eventsSize} bytes, not the ${p.transform.bytes} written`
    }`
    const sent = checkpoint.lines[p.key] ?? 0
    if (sent > 0 && (!rawIntact || p.export.status !== 'done')) {
      throw new FatalError(
        `${what}, and its staged export ${paths.raw(p)} cannot rebuild it; ${sent} of its events were already sent`,
        {
          hint: 'restore the job directory from a copy, or start over with --fresh (events sent again keep their uuids, which PostHog deduplicates)',
        },
      )
    }
    if (sent > 0) {
      warn(`${what}; rebuilding it from the staged export (${sent} of its events were already sent)`)
      rebuild.push(p)
    } else if (rawIntact) {
      warn(`${what}; transforming the staged export again`)
      transformAgain(p)
    } else {
      warn(`${what}, and its staged export is damaged too; exporting it again`)
      exportAgain(p)
      transformAgain(p)
    }
    // Its seen keys go with the transform that made them; a new transform writes them again.
    if (p.transform.status !== 'done') await rm(paths.seenKeys(p), { force: true })
  }
  return rebuild
}

/**
 * Transforms a partly sent partition's staged export again, against the keys every other partition claimed,
 * which gives exactly the answers its first transform got, and so exactly its first events file: the load
 * checkpoint's line numbers then still name the same events. Anything else (another connector version,
 * another mapping) is refused before the file replaces anything.
 */
export async function rebuildEvents(
  p: PartitionState,
  state: JobState,
  opts: Omit<TransformStageOptions, 'seen'> & { claimsFrom?: string; claimsOf?: readonly string[] },
): Promise<void> {
  const expected = p.transform.sha256
  const seen = new SeenSet()
  for (const q of state.partitions)
    if (q !== p && q.transform.status === 'done') await seen.loadFile(opts.paths.seenKeys(q))
  // A rejects retry transformed with the original job's claims too (runImport's claimsFromJob).
  if (opts.claimsFrom) await loadClaimsOf(seen, opts.claimsFrom, opts.claimsOf)
  const { claimsFrom: _, claimsOf: __, ...rest } = opts
  const stageOptions = { ...rest, seen }
  const partial = await transformToPartial(p, stageOptions)
  if (partial.sha256 !== expected) {
    await rm(`${opts.paths.events(p)}.partial`, { force: true })
    await rm(`${opts.paths.transformRejects(p)}.partial`, { force: true })
    throw new FatalError(
      `partition ${p.key}: rebuilding its staged events file gave different events than the ones partly sent (the connector, the mapping or the --transform hook changed since)`,
      {
        hint: 'run with the versions and options the job started with, or start over with --fresh (events sent again keep their uuids, which PostHog deduplicates)',
      },
    )
  }
  await commitTransform(p, partial, stageOptions)
}

/**
 * The claims another job committed: the seen keys of its transformed partitions, as it loads them itself.
 * A job that is gone adds none.
 */
export async function loadClaimsOf(seen: SeenSet, jobDir: string, keys?: readonly string[]): Promise<void> {
  const only = keys ? new Set(keys) : undefined
  const paths = new JobPaths(jobDir)
  // A job that is gone has no state; any other failure to read it must not pass for "no claims".
  const state = await readState(paths)
  for (const p of state?.partitions ?? [])
    if (p.transform.status === 'done' && (!only || only.has(p.key))) await seen.loadFile(paths.seenKeys(p))
}
