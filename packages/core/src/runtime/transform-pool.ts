import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import type { MappingConfig } from '../contracts/mapping.js'
import type { RecordOutcome, TransformCounts } from './record-stager.js'
import type { RunImportOptions } from './run-options.js'
import type { SeenSet } from './seen-set.js'
import type { JobState, PartitionState } from './state.js'
import type { TimeSpan } from './transform-context.js'
import { fanOutToPartial } from './transform-fan-out.js'
import {
  commitTransform,
  type PartialTransform,
  type TransformStageOptions,
  transformToPartial,
} from './transform-stage.js'

/** What a worker needs to rebuild the transform on its own thread: modules to import, not functions. */
export interface WorkerSetup {
  /** URL or specifier of a module whose default export is the source (`defineSource`). */
  sourceModule: string
  /** URL of a module default-exporting the user's event hook (`--transform`). */
  hookModule?: string
  mapping?: MappingConfig
  /** The connector config as the user gave it; the worker parses it with the source's schema. */
  config: unknown
  mappingOverrides: Record<string, unknown>
  identity: string
}

export type ToWorker =
  /** Keys committed by a partition. */
  | { type: 'seen'; hashes: Float64Array }
  /** The partition the next batches belong to (a new `run` each time one starts). */
  | { type: 'partition'; run: number; partition: PartitionState }
  | {
      type: 'batch'
      run: number
      id: number
      /** The number of the batch's first non-empty line in the partition (from 1, as rejects count). */
      firstLine: number
      /** The slot (see `Slot`) whose `raw` holds the batch's `length` bytes of lines. */
      slot: number
      length: number
      /** The slot's buffers, when this worker does not hold them yet (new or grown). */
      raw?: SharedArrayBuffer
      events?: SharedArrayBuffer
      /**
       * `once` claims confirmed in this partition since the worker's last batch. `onceInPartition` claims are
       * not sent: they are most often event ids, many and seldom seen twice, so learning them would cost
       * more than the odd record transformed again.
       */
      confirmed: Float64Array
    }

/**
 * The records of a batch that made a claim, `RECORD_FIELDS` numbers each (see `claimingRecord`): where
 * their output sits in the batch's, to take it out again if one of their claims was wrong.
 */
export const RECORD_FIELDS = 8

/** The `i`th claiming record of a batch. */
export function claimingRecord(r: BatchResult, i: number) {
  const at = i * RECORD_FIELDS
  const f = r.records
  const outcome: RecordOutcome = {
    staged: f[at + 5] as number,
    produced: f[at + 6] as number,
    rejects: f[at + 7] as number,
    filtered: r.filtered[i],
    // Not sent: only needed for records that stand, whose events are read back then (see transform-fan-out).
    first: undefined,
    last: undefined,
  }
  return {
    line: f[at] as number,
    /** How many of the batch's claims (line, hash, kind triples), in order, are this record's. */
    claims: f[at + 1] as number,
    outByte: f[at + 2] as number,
    outBytes: f[at + 3] as number,
    rejectFrom: f[at + 4] as number,
    outcome,
  }
}
export type ClaimingRecord = ReturnType<typeof claimingRecord>

export interface BatchResult {
  type: 'batch'
  id: number
  /** The batch's event lines, each ending in a newline: the first `eventsLength` bytes of its slot's `events`. */
  eventsLength: number
  /** The slot's events buffer, when the worker had to grow it. */
  events?: SharedArrayBuffer
  rejects: string[]
  counts: TransformCounts
  /** The span of every event staged, and of the events of the records that claimed nothing. */
  span: TimeSpan
  unclaimed: TimeSpan
  /** Every true answer of `ctx.once` (kind 0) and `ctx.onceInPartition` (kind 1): line, hash, kind. */
  claims: Float64Array
  /** The claiming records (see `claimingRecord`), and the filter reasons of those filtered, by index. */
  records: Float64Array
  filtered: Record<number, string>
}

export type ToMain =
  | BatchResult
  | { type: 'failed'; id: number; error: { name: string; message: string; kind?: string; code?: string } }

interface Waiting {
  worker: Worker
  resolve(message: BatchResult): void
  reject(error: Error): void
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {}
  const promise = new Promise<void>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

function revive(error: Extract<ToMain, { type: 'failed' }>['error']): Error {
  // Errors are classified by their `kind` brand (see contracts/errors.ts), which survives the copy.
  return Object.assign(new Error(error.message), error)
}

/** A worker that failed as a worker (not a partition's error): the way out is the main thread. */
function workerFailure(error: Error): Error {
  return new Error(`${error.message}; ${WITHOUT_WORKERS}`)
}

/**
 * Memory shared with the workers for one batch in flight: its lines, and the event lines a worker makes of
 * them. Shared and reused, not sent: buffers sent with every batch would be new memory each time, and the
 * garbage collector would run for them again and again.
 */
interface Slot {
  raw: SharedArrayBuffer
  events: SharedArrayBuffer
  /** The workers that hold these two buffers already. */
  holders: Set<Worker>
}

/**
 * Big enough that a message per batch costs nothing much (Amplitude: ~170 records of 1.5 kB), small enough
 * that the workers' replicas of the claimed keys stay close behind.
 */
const DEFAULT_BATCH_BYTES = 1 << 18

/** Room for a batch and the line cut off before it, and for the events it makes (grown if need be). */
const newSlot = (): Slot => ({
  raw: new SharedArrayBuffer(1 << 19),
  events: new SharedArrayBuffer(1 << 20),
  holders: new Set(),
})

export const WITHOUT_WORKERS = 'run without --workers (transformWorkers) to transform on the main thread'

/**
 * Worker threads that transform one partition at a time together, a batch of lines each (see
 * transform-fan-out.ts for how `ctx.once` stays exactly as a serial run answers it). Partitions commit in
 * job order; each worker holds a replica of the job's seen keys, fed with what every commit adds.
 */
export class TransformPool {
  private readonly workers: Worker[]
  private readonly outstanding = new Map<Worker, number>()
  private readonly waiting = new Map<number, Waiting>()
  /** The slot each batch out is in. */
  private readonly slotOf = new Map<number, number>()
  private answer = deferred()
  private readonly dead = new Map<Worker, Error>()
  /** Per worker, the claims confirmed in the current partition that it has not been sent yet. */
  private readonly unsent = new Map<Worker, number[]>()
  private readonly partials = new Map<
    PartitionState,
    { written: Promise<PartialTransform>; opts: TransformStageOptions; committed: () => void }
  >()
  /** Resolves when the last partition handed to `transform` is committed: the next one starts then. */
  private previousCommitted: Promise<void> = Promise.resolve()
  private nextId = 1
  private run = 0
  private readonly slots: Slot[] = []
  private readonly freeSlots: number[] = []

  /** The most bytes of lines in a batch (a longer line is a batch of its own). */
  readonly batchBytes: number
  /**
   * Batches sent; records transformed again on this thread (a worker's `once` answer was wrong); partitions
   * transformed again whole, serially (a record's second transform asked about other keys).
   */
  readonly stats = { batches: 0, redone: 0, serialRedos: 0 }

  /**
   * `workerUrl`: the built worker script, for a pool run from TypeScript sources (tests); by default the
   * one beside this module.
   */
  constructor(
    setup: WorkerSetup,
    size: number,
    seen: SeenSet,
    options: { batchBytes?: number; workerUrl?: URL } = {},
  ) {
    this.batchBytes = options.batchBytes ?? DEFAULT_BATCH_BYTES
    const url = options.workerUrl ?? new URL('./transform-worker.js', import.meta.url)
    const initial = seen.values()
    this.workers = Array.from({ length: size }, () => {
      const worker = new Worker(url, { workerData: setup })
      worker.on('message', (message: ToMain) => this.settle(message))
      worker.on('error', (error) => this.failWorker(worker, error))
      worker.on('exit', (code) =>
        this.failWorker(worker, new Error(`a transform worker stopped (exit code ${code})`)),
      )
      if (initial.length > 0) worker.postMessage({ type: 'seen', hashes: initial } satisfies ToWorker)
      this.outstanding.set(worker, 0)
      this.unsent.set(worker, [])
      return worker
    })
  }

  get size(): number {
    return this.workers.length
  }

  /**
   * Transforms `p` into `.partial` files on the workers, once every partition handed here before it is
   * committed; resolves when they are written. `opts.seen` must be the set `commit` adds to.
   */
  transform(p: PartitionState, opts: TransformStageOptions): Promise<void> {
    const previous = this.previousCommitted
    let committed = () => {}
    this.previousCommitted = new Promise((resolve) => {
      committed = resolve
    })
    const written = previous.then(async () => {
      // Null when a record's second transform asked other keys than its first: redone here, exactly.
      const fanned = await fanOutToPartial(p, opts, this)
      if (fanned) return fanned
      this.stats.serialRedos++
      return await transformToPartial(p, opts)
    })
    this.partials.set(p, { written, opts, committed })
    return written.then(() => {})
  }

  /**
   * Commits a transformed partition. Call in job order, each after the previous one resolved: `p.transform`
   * is then final, `seen` holds its keys, and every worker has been told them.
   */
  async commit(p: PartitionState): Promise<void> {
    const partial = this.partials.get(p)
    if (!partial) throw new Error(`partition ${p.key} was not transformed by this pool`)
    this.partials.delete(p)
    const claimed = await commitTransform(p, await partial.written, partial.opts)
    if (claimed.length > 0) {
      const hashes = Float64Array.from(claimed)
      for (const worker of this.workers) worker.postMessage({ type: 'seen', hashes } satisfies ToWorker)
    }
    partial.committed()
  }

  /** Tells every worker which partition the next batches belong to; returns its run number. */
  startPartition(p: PartitionState): number {
    this.run++
    for (const worker of this.workers) {
      this.unsent.set(worker, [])
      worker.postMessage({ type: 'partition', run: this.run, partition: p } satisfies ToWorker)
    }
    return this.run
  }

  /** Claims found right, for every worker to learn with its next batch. */
  confirm(once: readonly number[]): void {
    for (const pending of this.unsent.values()) for (const h of once) pending.push(h)
  }

  /**
   * A free slot whose `raw` can hold a batch of `size` bytes, and a view of those bytes to fill. Release
   * it once the batch is settled.
   */
  takeSlot(size: number): { slot: number; bytes: Buffer } {
    const slot = this.freeSlots.pop() ?? this.slots.push(newSlot()) - 1
    const s = this.slots[slot] as Slot
    if (s.raw.byteLength < size) {
      s.raw = new SharedArrayBuffer(size)
      s.holders.clear()
    }
    return { slot, bytes: Buffer.from(s.raw, 0, size) }
  }

  releaseSlot(slot: number): void {
    this.freeSlots.push(slot)
  }

  /** A settled batch's lines (to transform a record again) and its event lines. */
  slotBytes(result: BatchResult, slot: number, rawLength: number): { raw: Buffer; events: Buffer } {
    const s = this.slots[slot] as Slot
    return { raw: Buffer.from(s.raw, 0, rawLength), events: Buffer.from(s.events, 0, result.eventsLength) }
  }

  /** Transforms a batch of whole lines (in `slot`, from `takeSlot`) on the least busy worker. */
  transformBatch(run: number, firstLine: number, slot: number, length: number): Promise<BatchResult> {
    const worker = [...this.outstanding].sort((a, b) => a[1] - b[1])[0]?.[0] as Worker
    const id = this.nextId++
    this.stats.batches++
    const pending = this.unsent.get(worker) as number[]
    this.unsent.set(worker, [])
    this.outstanding.set(worker, (this.outstanding.get(worker) ?? 0) + 1)
    const s = this.slots[slot] as Slot
    const known = s.holders.has(worker)
    s.holders.add(worker)
    this.slotOf.set(id, slot)
    const message: ToWorker = {
      type: 'batch',
      run,
      id,
      firstLine,
      slot,
      length,
      ...(known ? {} : { raw: s.raw, events: s.events }),
      confirmed: Float64Array.from(pending),
    }
    return new Promise<BatchResult>((resolve, reject) => {
      const failure = this.dead.get(worker)
      if (failure) {
        this.answered(worker, id)
        return reject(failure)
      }
      this.waiting.set(id, { worker, resolve, reject })
      worker.postMessage(message)
    })
  }

  /** Whether a worker has fewer than `perWorker` batches: one more would start at once. */
  hasRoom(perWorker: number): boolean {
    for (const n of this.outstanding.values()) if (n < perWorker) return true
    return false
  }

  /** Resolves when the next batch is answered, whichever worker answers. */
  nextAnswer(): Promise<void> {
    return this.answer.promise
  }

  private answered(worker: Worker, id: number): void {
    this.slotOf.delete(id)
    this.outstanding.set(worker, (this.outstanding.get(worker) ?? 1) - 1)
    const { resolve } = this.answer
    this.answer = deferred()
    resolve()
  }

  async close(): Promise<void> {
    const workers = this.workers.splice(0)
    await Promise.all(workers.map((w) => w.terminate()))
  }

  private settle(message: ToMain): void {
    const waiting = this.waiting.get(message.id)
    if (!waiting) return
    this.waiting.delete(message.id)
    const slot = this.slots[this.slotOf.get(message.id) as number] as Slot
    // The worker outgrew the slot's events buffer and now holds a bigger one, alone. Taken here, as the
    // answer comes, even for a partition given up on, so the slot and the worker never disagree.
    if (message.type === 'batch' && message.events) {
      slot.events = message.events
      slot.holders = new Set([waiting.worker])
    }
    this.answered(waiting.worker, message.id)
    if (message.type === 'failed') waiting.reject(revive(message.error))
    else waiting.resolve(message)
  }

  private failWorker(worker: Worker, error: Error): void {
    // The first cause wins: an uncaught error is followed by the exit it causes.
    if (!this.dead.has(worker)) this.dead.set(worker, workerFailure(error))
    const failure = this.dead.get(worker) as Error
    // A worker terminated by close() has nothing waiting on it any more.
    for (const [id, waiting] of this.waiting) {
      if (waiting.worker !== worker) continue
      this.waiting.delete(id)
      this.answered(worker, id)
      waiting.reject(failure)
    }
  }
}

/**
 * Runs `run` with the pool `options.transformWorkers` asks for (or none: transform on the calling thread),
 * and stops the workers when it ends or the job is aborted; stopping fails whatever waits on them.
 */
export async function withTransformPool<T>(
  options: RunImportOptions,
  job: { identity: string; state: JobState },
  seen: SeenSet,
  signal: AbortSignal,
  run: (pool: TransformPool | undefined) => Promise<T>,
): Promise<T> {
  const pool = startTransformPool(options, job, seen)
  const stop = () => void pool?.close()
  signal.addEventListener('abort', stop)
  try {
    return await run(pool)
  } finally {
    signal.removeEventListener('abort', stop)
    await pool?.close()
  }
}

function startTransformPool(
  options: RunImportOptions,
  job: { identity: string; state: JobState },
  seen: SeenSet,
): TransformPool | undefined {
  const workers = options.transformWorkers
  if (!workers) return undefined
  // A hook given as a function cannot cross to another thread.
  if (options.transformHook && !workers.hookModule) return undefined
  if (job.state.partitions.every((p) => p.transform.status === 'done')) return undefined
  const size = workers.count ?? Math.min(4, availableParallelism())
  if (size < 2) return undefined
  return new TransformPool(
    {
      sourceModule: workers.sourceModule,
      ...(workers.hookModule ? { hookModule: workers.hookModule } : {}),
      ...(options.mapping ? { mapping: options.mapping } : {}),
      config: options.config,
      mappingOverrides: options.mapping?.source ?? {},
      identity: job.identity,
    },
    size,
    seen,
  )
}
