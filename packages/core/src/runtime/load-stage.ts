import { mkdir, readFile, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { FatalError } from '../contracts/errors.js'
import { appendLinesDurably, writeJsonAtomic } from './atomic-fs.js'
import { type DeadLetter, type DeliverOptions, deliver } from './deliver.js'
import { eventBatch } from './event-batch.js'
import { readPlainLineChunks } from './staged-file.js'
import { type JobPaths, type LoadCheckpoint, loadOrder, type PartitionState } from './state.js'

export interface LoadStageOptions extends DeliverOptions {
  paths: JobPaths
  partitions: () => PartitionState[]
  checkpoint: LoadCheckpoint
  batchSize: number
  maxBatchBytes: number
  /** Batches in flight at once; the checkpoint only advances over a contiguous acknowledged prefix. */
  concurrency: number
  /** Resolves true when the partition is transformed, false when it failed and must be skipped. */
  ready(p: PartitionState): Promise<boolean>
  isReadyNow(p: PartitionState): boolean
  saveState(): Promise<void>
  onLoaded?(events: number, deadLettered: number): void
  /** A partition's events start going out, or all of them are acknowledged (or dead-lettered). */
  onPartition?(p: PartitionState, status: 'started' | 'done'): void
  /** Keep a loaded partition's staged export and events files (default: removed once it is loaded). */
  keepStaged?: boolean
}

interface Ref {
  p: PartitionState
  line: number
}

/** A run of lines of one partition inside a batch: one object per run, not per event. */
interface Segment {
  p: PartitionState
  /** Line numbers (1-based) of the run's events, in batch order; usually consecutive. */
  lines: number[]
}

/** Where the batch's `index`-th event came from. */
function refAt(batch: Batch, index: number): Ref {
  let i = index
  for (const seg of batch.segments) {
    if (i < seg.lines.length) return { p: seg.p, line: seg.lines[i]! }
    i -= seg.lines.length
  }
  throw new RangeError(`no event ${index} in batch`)
}

interface Batch {
  /** Staged lines as read from disk: bytes, decoded only if one must be dead-lettered. */
  lines: Buffer[]
  segments: Segment[]
  bytes: number
  done: boolean
  dead: DeadLetter[]
  promise?: Promise<void>
}

/** A staged line as JSON, or as its text when it is not JSON (a file damaged on disk). */
function parseOrText(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

function changedEventsFile(p: PartitionState, file: string, how: string): FatalError {
  return new FatalError(
    `partition ${p.key}: its staged events file ${file} ${how}: it changed after it was staged`,
    {
      hint: 'run the same command again: a resume checks the staged files and stages a changed one again',
    },
  )
}

async function readDeadLetteredLines(file: string): Promise<Set<number>> {
  const lines = new Set<number>()
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    return lines
  }
  for (const row of text.split('\n')) {
    if (!row) continue
    try {
      lines.add((JSON.parse(row) as { line: number }).line)
    } catch {
      // A torn last line from a crash: its event is resent and dead-lettered again.
    }
  }
  return lines
}

/**
 * Sends staged events oldest partition first, in bounded batches, with up to `concurrency` batches in
 * flight. Acknowledged batches commit in order: dead letters are appended first, then `load.json`
 * moves, so a crash resends at most the in-flight batches (same uuids) and never skips one.
 */
export async function loadPartitions(opts: LoadStageOptions): Promise<void> {
  const { paths, checkpoint } = opts
  const window: Batch[] = []
  let current: Batch = { lines: [], segments: [], bytes: 0, done: false, dead: [] }
  let failure: unknown
  // Settles when a batch fails, so a wait for the next partition ends at once: the producer may itself be
  // waiting for this load to free disk (maxStagedBytes), and would otherwise never hand it one.
  let failed: () => void = () => {}
  const batchFailed = new Promise<false>((resolve) => {
    failed = () => resolve(false)
  })
  const deadSeen = new Map<string, Set<number>>()
  // Partitions fully read, with the last line queued: lines after it were dead-lettered before.
  const lastQueued = new Map<string, number>()
  let commitChain: Promise<void> = Promise.resolve()
  const commit = () => {
    commitChain = commitChain.then(commitPrefix)
    return commitChain
  }

  const commitPrefix = async () => {
    let moved = false
    while (window.length > 0 && window[0]!.done) {
      const batch = window.shift()!
      moved = true
      const deadByPartition = new Map<PartitionState, DeadLetter[]>()
      for (const d of batch.dead) {
        const ref = refAt(batch, d.index)
        const list = deadByPartition.get(ref.p) ?? []
        list.push(d)
        deadByPartition.set(ref.p, list)
      }
      for (const [p, list] of deadByPartition) {
        const file = paths.loadRejects(p)
        await mkdir(path.dirname(file), { recursive: true })
        const rows = list.map((d) => {
          const ref = refAt(batch, d.index)
          return JSON.stringify({
            partition: p.key,
            line: ref.line,
            stage: 'load',
            code: d.code,
            message: d.message,
            record: parseOrText(batch.lines[d.index]!.toString('utf8')),
          })
        })
        await appendLinesDurably(file, rows)
        p.load.deadLettered += list.length
      }
      const perPartition = new Map<PartitionState, number>()
      for (const seg of batch.segments) {
        perPartition.set(seg.p, Math.max(perPartition.get(seg.p) ?? 0, seg.lines[seg.lines.length - 1] ?? 0))
      }
      for (const [p, line] of perPartition) checkpoint.lines[p.key] = line
      opts.onLoaded?.(batch.lines.length - batch.dead.length, batch.dead.length)
    }
    checkpoint.updatedAt = new Date().toISOString()
    const finished: PartitionState[] = []
    for (const p of opts.partitions()) {
      const line = checkpoint.lines[p.key]
      const last = lastQueued.get(p.key)
      const complete =
        line !== undefined && (line >= p.transform.events || (last !== undefined && line >= last))
      if (p.load.status !== 'done' && p.transform.status === 'done' && complete) {
        p.load = {
          status: 'done',
          loaded: p.transform.events - p.load.deadLettered,
          deadLettered: p.load.deadLettered,
        }
        finished.push(p)
      }
    }
    // State first: once a partition is marked done there, its line in load.json is no longer needed, and
    // neither are its staged files (a resume passes loaded partitions over): a crash before the removal
    // only leaves them behind.
    if (finished.length > 0) await opts.saveState()
    for (const p of finished) {
      if (!opts.keepStaged) await removeStaged(paths, p)
      opts.onPartition?.(p, 'done')
    }
    if (moved || finished.length > 0) await writeJsonAtomic(paths.load, checkpoint)
  }

  const dispatch = async () => {
    if (current.lines.length === 0) return
    const batch = current
    current = { lines: [], segments: [], bytes: 0, done: false, dead: [] }
    // Let the destination encode (gzip) this batch while it waits for a slot below: the slot then goes
    // straight to the network instead of waiting for the body.
    opts.destination.prepare?.(eventBatch(batch.lines))
    // Bound acknowledged-but-uncommitted batches too: when commits (fsyncs) are slower than the
    // destination, counting only in-flight batches let the window grow with the whole partition.
    while (
      window.filter((b) => !b.done).length >= opts.concurrency ||
      window.length >= opts.concurrency * 2
    ) {
      const inFlight = window.filter((b) => !b.done).map((b) => b.promise)
      await (inFlight.length > 0 ? Promise.race(inFlight) : commitChain)
      if (failure) throw failure
    }
    window.push(batch)
    batch.promise = deliver(batch.lines, opts)
      .then(async (dead) => {
        batch.dead = dead
        batch.done = true
        await commit()
      })
      .catch((error) => {
        failure ??= error
        failed()
      })
  }

  // What a run killed between marking partitions loaded and removing their files left behind.
  if (!opts.keepStaged)
    for (const p of opts.partitions()) if (p.load.status === 'done') await removeStaged(paths, p)

  try {
    // Re-read the plan each time: a split or replan may have replaced partitions not yet exported.
    const visited = new Set<PartitionState>()
    for (;;) {
      const p = loadOrder(opts.partitions()).find((x) => x.load.status !== 'done' && !visited.has(x))
      if (!p) break
      visited.add(p)
      if (!opts.isReadyNow(p)) await dispatch()
      const isReady = await Promise.race([opts.ready(p), batchFailed])
      if (opts.signal.aborted) throw opts.signal.reason
      if (failure) throw failure
      if (!isReady) continue
      const start = checkpoint.lines[p.key] ?? 0
      if (start >= p.transform.events) {
        await commit()
        if ((p.load.status as string) !== 'done') {
          p.load = {
            status: 'done',
            loaded: p.transform.events - p.load.deadLettered,
            deadLettered: p.load.deadLettered,
          }
          await opts.saveState()
          if (!opts.keepStaged) await removeStaged(paths, p)
          opts.onPartition?.(p, 'done')
        }
        continue
      }
      opts.onPartition?.(p, 'started')
      let dead = deadSeen.get(p.key)
      if (!dead) {
        dead = await readDeadLetteredLines(paths.loadRejects(p))
        deadSeen.set(p.key, dead)
        // Counts restart from the file: it is the record of what was dead-lettered before a crash.
        p.load.deadLettered = dead.size
      }
      const eventsFile = paths.events(p)
      // Checked at resume too (staged-check.ts); here for a file changed while the job runs.
      const size = await stat(eventsFile).then(
        (s) => s.size,
        (error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') throw changedEventsFile(p, eventsFile, 'is missing')
          throw error
        },
      )
      if (p.transform.bytes !== undefined && size !== p.transform.bytes)
        throw changedEventsFile(p, eventsFile, `is ${size} bytes, not the ${p.transform.bytes} written`)
      let line = 0
      let queuedThrough = start
      for await (const chunk of readPlainLineChunks(eventsFile)) {
        for (const wire of chunk) {
          line++
          if (line <= start || dead.has(line)) continue
          const size = wire.length + 1
          if (current.lines.length > 0 && current.bytes + size > opts.maxBatchBytes) await dispatch()
          current.lines.push(wire)
          const last = current.segments[current.segments.length - 1]
          if (last?.p === p) last.lines.push(line)
          else current.segments.push({ p, lines: [line] })
          queuedThrough = line
          current.bytes += size
          if (current.lines.length >= opts.batchSize) await dispatch()
          if (failure) throw failure
          if (opts.signal.aborted) throw opts.signal.reason
        }
      }
      if (line !== p.transform.events) {
        // Same size, other lines: a resume's size check would pass it again. Removed, the resume stages it
        // again (rebuilt byte for byte from the staged export, or refused if it cannot be).
        await rm(eventsFile, { force: true })
        throw changedEventsFile(p, eventsFile, `held ${line} events, not the ${p.transform.events} staged`)
      }
      lastQueued.set(p.key, queuedThrough)
      if (queuedThrough === start) {
        // Nothing left to send (the rest was dead-lettered before a crash): the partition is complete.
        checkpoint.lines[p.key] = p.transform.events
        await commit()
      }
    }
    await dispatch()
    await Promise.all(window.map((b) => b.promise))
    if (failure) throw failure
    await commit()
  } catch (error) {
    // Let in-flight batches settle (or abort) so their acknowledgements are committed, then rethrow.
    await Promise.allSettled(window.map((b) => b.promise))
    await commit().catch(() => {})
    throw error
  }
}

/** A loaded partition's staged export and events: the disk an import holds is then what is still to send. */
async function removeStaged(paths: JobPaths, p: PartitionState): Promise<void> {
  await Promise.all([rm(paths.raw(p), { force: true }), rm(paths.events(p), { force: true })])
}
