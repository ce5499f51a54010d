import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { EventHook } from '../contracts/mapping.js'
import { type PostHogEvent, validateEvent } from '../contracts/posthog-event.js'
import type { AnySource, TransformResult } from '../contracts/source.js'
import { isFiltered, isRejection } from '../contracts/source.js'
import { utcDay } from '../util/time.js'
import { fsyncDir } from './atomic-fs.js'
import { SeenSet } from './seen-set.js'
import { LineWriter, readGzipLineChunks } from './staged-file.js'
import { emptyTransformCounts, type JobPaths, type PartitionState } from './state.js'
import { settleClaims } from './transform-claims.js'
import { applyHooks, bump, type TimeSpan, transformContext, widen } from './transform-context.js'

export interface TransformStageOptions {
  source: AnySource
  identity: string
  /** The parsed connector config and the mapping's connector overrides, handed to `transform`. */
  config?: unknown
  mappingOverrides?: Record<string, unknown>
  paths: JobPaths
  /**
   * Keys `ctx.once` answered true for in committed partitions. On a worker thread this is a replica that
   * may lag behind partitions committed meanwhile; `commitTransform` settles the difference.
   */
  seen: SeenSet
  /** Mapping and user transform, composed; null/[] filters the event. */
  hooks: EventHook[]
  signal: AbortSignal
  onRecords?(n: number): void
  /**
   * Set on a worker thread, whose `seen` may lag: records that claim a key are then kept aside (see
   * `claimingFile`) so that `commitTransform` can settle them. A serial run needs none of it.
   */
  speculative?: boolean
}

/**
 * Beside the partial events file, two lines per record that claimed a `once` key: its `ClaimingRecord` and
 * its raw line. On disk, not in memory, so a huge partition costs no more memory than a small one.
 */
export const claimingFile = (paths: JobPaths, p: PartitionState) => `${paths.events(p)}.claiming`

export type TransformCounts = ReturnType<typeof emptyTransformCounts>

/** What became of one record: how many of its events were staged, and whether all of them were. */
interface RecordOutcome {
  staged: number
  clean: boolean
}
const NOTHING_STAGED: Readonly<RecordOutcome> = Object.freeze({ staged: 0, clean: false })

/** A record that claimed a `once` key: where its events sit in the events file, to replace them if need be. */
export interface ClaimingRecord {
  line: number
  /** Its events' byte range in the events file, and how many events (lines) that is. */
  outByte: number
  outBytes: number
  outCount: number
  /** Staged every event it produced: no reject, no filter. Only those can be re-transformed in place. */
  clean: boolean
  /** Its `onceInPartition` answers in call order, replayed when it is transformed again. */
  inPartition: boolean[]
  /** Its events' earliest and latest timestamps: the partition's span is recomputed without them if redone. */
  first?: string
  last?: string
}

/** A transformed partition whose files are still `.partial`: what `commitTransform` needs to finish it. */
export interface PartialTransform {
  counts: TransformCounts
  first?: string
  last?: string
  /** Every `ctx.once` that answered true, in order: the record's line and the key's hash. */
  claimLines: number[]
  claimHashes: number[]
  /** When speculative: the span of the events of records that claimed nothing, which settling never redoes. */
  unclaimed?: TimeSpan
  /** Of the events file, hashed as it was written, and its size. */
  sha256: string
  bytes: number
}

/**
 * Staged raw records → final wire-form event lines, in `.partial` files (see `commitTransform`).
 * `ctx.once` answers true for a key that is neither in `opts.seen` nor claimed earlier in this partition;
 * each true answer is logged, so a partition transformed in parallel with an earlier one can be settled
 * against what that one claimed, record by record, without transforming it all again.
 */
export async function transformToPartial(
  p: PartitionState,
  opts: TransformStageOptions,
): Promise<PartialTransform> {
  const { paths, source } = opts
  const eventsFile = paths.events(p)
  const rejectsFile = paths.transformRejects(p)
  await mkdir(path.dirname(eventsFile), { recursive: true })
  await mkdir(path.dirname(rejectsFile), { recursive: true })
  await mkdir(paths.seen, { recursive: true })
  const out = await LineWriter.open(`${eventsFile}.partial`, 'w', { sha256: true })
  const rejects = await LineWriter.open(`${rejectsFile}.partial`)
  // Settling reads these back instead of inflating the whole raw file again.
  const claimingOut = opts.speculative ? await LineWriter.open(claimingFile(paths, p)) : undefined
  const claimLines: number[] = []
  const claimHashes: number[] = []
  // Keys first seen in this partition; kept local until commit so a redo sees the same state.
  const localSeen = new SeenSet()
  const inPartition = new SeenSet()
  let inPartitionAnswers: boolean[] = []
  const t: TransformCounts = { ...p.transform, ...emptyTransformCounts() }
  // Of every staged event; of the current record's; of the records that claimed nothing.
  const span: TimeSpan = {}
  let recordSpan: TimeSpan = {}
  const unclaimed: TimeSpan = {}
  let lineNo = 0
  const ctx = transformContext(
    p,
    opts,
    (key) => {
      const h = SeenSet.hash(key)
      if (opts.seen.has(h) || !localSeen.add(h)) return false
      claimLines.push(lineNo)
      claimHashes.push(h)
      return true
    },
    (key) => {
      const answer = inPartition.add(SeenSet.hashInMemory(key))
      inPartitionAnswers.push(answer)
      return answer
    },
  )
  // `record` is always the raw record (so rejects can be re-processed through the transform after a
  // fix); `event` is the invalid event when the validator refused one. Returns a promise only when the
  // rejects buffer must flush first: await it before writing anything else.
  const writeReject = (line: number, code: string, message: string, record: unknown, event?: unknown) => {
    bump(t.rejectsByCode, code)
    return rejects.write(
      JSON.stringify({
        partition: p.key,
        line,
        stage: 'transform',
        code,
        message,
        record: record ?? null,
        ...(event === undefined ? {} : { event }),
      }),
    )
  }
  const unstaged = (waiting: Promise<void> | undefined): RecordOutcome | Promise<RecordOutcome> =>
    waiting ? waiting.then(() => NOTHING_STAGED) : NOTHING_STAGED
  // One produced event: validated, then staged or dead-lettered. Same promise contract as `writeReject`.
  const stageEvent = (event: PostHogEvent, raw: unknown, tally: RecordOutcome): Promise<void> | undefined => {
    const v = validateEvent(event)
    if (!v.ok) {
      tally.clean = false
      return writeReject(lineNo, v.code, v.message, raw, event)
    }
    tally.staged++
    t.events++
    bump(t.byName, event.event)
    bump(t.byDay, utcDay(event.timestamp))
    widen(recordSpan, event.timestamp)
    return out.write(v.serialized)
  }
  // Records are accounted once: staged if any of their events was, else rejected.
  const account = (tally: RecordOutcome, produced: number): RecordOutcome => {
    if (tally.staged > 0) {
      t.stagedRecords++
      t.invalidEvents += produced - tally.staged
    } else t.rejected++
    return tally
  }
  // The rest of a record's events once a write had to wait for a flush: from then on, one at a time.
  const stageRest = async (
    waiting: Promise<void>,
    produced: PostHogEvent[],
    from: number,
    raw: unknown,
    tally: RecordOutcome,
  ): Promise<RecordOutcome> => {
    await waiting
    for (let i = from; i < produced.length; i++) {
      const next = stageEvent(produced[i] as PostHogEvent, raw, tally)
      if (next) await next
    }
    return account(tally, produced.length)
  }
  // Outcome of one record. Synchronous unless a write must wait for its buffer to flush: an await per
  // record is measurable at a few microseconds a record.
  const transformRecord = (line: string): RecordOutcome | Promise<RecordOutcome> => {
    let raw: unknown
    try {
      raw = JSON.parse(line)
    } catch {
      t.rejected++
      return unstaged(writeReject(lineNo, 'unparsable_record', 'staged record is not valid JSON', line))
    }
    let result: TransformResult
    try {
      result = source.transform(raw, ctx)
    } catch (error) {
      t.rejected++
      return unstaged(
        writeReject(lineNo, 'transform_error', `transform threw: ${(error as Error).message}`, raw),
      )
    }
    if (isRejection(result)) {
      t.rejected++
      return unstaged(writeReject(lineNo, result.code, result.message, raw))
    }
    if (isFiltered(result)) {
      t.filtered++
      bump(t.filteredByReason, result.reason)
      return NOTHING_STAGED
    }
    const produced = applyHooks(Array.isArray(result) ? result : [result], opts.hooks)
    if (produced.length === 0) {
      t.filtered++
      bump(t.filteredByReason, Array.isArray(result) && result.length === 0 ? 'no_events' : 'mapping')
      return NOTHING_STAGED
    }
    const tally: RecordOutcome = { staged: 0, clean: true }
    for (let i = 0; i < produced.length; i++) {
      const waiting = stageEvent(produced[i] as PostHogEvent, raw, tally)
      if (waiting) return stageRest(waiting, produced, i + 1, raw, tally)
    }
    return account(tally, produced.length)
  }

  try {
    // An empty export (Amplitude's 404, an empty day) stages a zero-byte file, which gunzip refuses.
    const chunks = p.export.bytes === 0 ? [] : readGzipLineChunks(paths.raw(p))
    for await (const chunk of chunks) {
      for (const line of chunk) {
        if (line === '') continue
        lineNo++
        t.records++
        if ((lineNo & 4095) === 0) {
          if (opts.signal.aborted) throw opts.signal.reason
          opts.onRecords?.(4096)
        }
        const claimsBefore = claimLines.length
        const outByte = out.position
        if (inPartitionAnswers.length > 0) inPartitionAnswers = []
        if (recordSpan.first !== undefined) recordSpan = {}
        const outcome = transformRecord(line)
        const { staged, clean } = outcome instanceof Promise ? await outcome : outcome
        widen(span, recordSpan.first)
        widen(span, recordSpan.last)
        if (!claimingOut) continue
        if (claimLines.length === claimsBefore) {
          widen(unclaimed, recordSpan.first)
          widen(unclaimed, recordSpan.last)
        } else {
          const record: ClaimingRecord = {
            line: lineNo,
            outByte,
            outBytes: out.position - outByte,
            outCount: staged,
            clean,
            inPartition: inPartitionAnswers,
            ...recordSpan,
          }
          const flushing = claimingOut.write(JSON.stringify(record))
          if (flushing) await flushing
          const flushingRaw = claimingOut.write(line)
          if (flushingRaw) await flushingRaw
        }
      }
    }
    opts.onRecords?.(lineNo & 4095)
  } finally {
    await out.close()
    await rejects.close()
    // Scratch: read back by this process right away, or redone with the partition after a crash.
    await claimingOut?.close(false)
  }
  return {
    counts: t,
    ...span,
    claimLines,
    claimHashes,
    ...(claimingOut ? { unclaimed } : {}),
    sha256: out.sha256(),
    bytes: out.position,
  }
}

/**
 * Finishes a partition, in job order: settles its `once` claims against everything committed before it
 * (see `settleClaims`), then renames the `.partial` files into place. A crash before the rename redoes the
 * partition and never leaves half an events file or a duplicated reject. Seen keys commit with it.
 * Returns the hashes it added to `opts.seen`.
 */
export async function commitTransform(
  p: PartitionState,
  transformed: PartialTransform,
  opts: TransformStageOptions,
): Promise<number[]> {
  const { paths } = opts
  const settled = (await settleClaims(p, transformed, opts)) ?? (await transformToPartial(p, opts)) // a redo is exact now
  const eventsFile = paths.events(p)
  const rejectsFile = paths.transformRejects(p)
  await writeFile(paths.seenKeys(p), SeenSet.serialize(settled.claimHashes))
  await rename(`${eventsFile}.partial`, eventsFile)
  await rename(`${rejectsFile}.partial`, rejectsFile)
  await fsyncDir(path.dirname(eventsFile))
  await rm(claimingFile(paths, p), { force: true })
  for (const h of settled.claimHashes) opts.seen.add(h)
  p.transform = {
    ...settled.counts,
    status: 'done',
    ...(settled.first ? { firstTimestamp: settled.first } : {}),
    ...(settled.last ? { lastTimestamp: settled.last } : {}),
    sha256: settled.sha256,
    bytes: settled.bytes,
  }
  return settled.claimHashes
}

/** Transforms and commits one partition on this thread, against a `seen` set that is complete. */
export async function transformPartition(p: PartitionState, opts: TransformStageOptions): Promise<void> {
  await commitTransform(p, await transformToPartial(p, opts), opts)
}
