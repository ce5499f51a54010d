import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import type { MappingConfig } from '../contracts/mapping.js'
import type { RunImportOptions } from './run-options.js'
import type { SeenSet } from './seen-set.js'
import type { JobState, PartitionState } from './state.js'

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
  jobDir: string
}

export type ToWorker =
  | { type: 'seen'; hashes: Float64Array }
  | { type: 'transform'; id: number; partition: PartitionState }
  | { type: 'commit'; id: number }

export type ToMain =
  | { type: 'transformed'; id: number }
  | { type: 'committed'; id: number; transform: PartitionState['transform']; claimed: Float64Array }
  | { type: 'failed'; id: number; error: { name: string; message: string; kind?: string; code?: string } }

interface Waiting {
  worker: Worker
  resolve(message: ToMain): void
  reject(error: Error): void
}

function revive(error: Extract<ToMain, { type: 'failed' }>['error']): Error {
  // Errors are classified by their `kind` brand (see contracts/errors.ts), which survives the copy.
  return Object.assign(new Error(error.message), error)
}

/** A worker that failed as a worker (not a partition's error): the way out is the main thread. */
function workerFailure(error: Error): Error {
  return new Error(`${error.message}; ${WITHOUT_WORKERS}`)
}

export const WITHOUT_WORKERS = 'run without --workers (transformWorkers) to transform on the main thread'

/**
 * Worker threads that transform partitions side by side, committed strictly in job order (see
 * transform-claims.ts for how `ctx.once` stays exactly as a serial run answers it). Each worker holds a
 * replica of the job's seen keys, fed with what every commit adds.
 */
export class TransformPool {
  private readonly workers: Worker[]
  private readonly busy = new Map<Worker, number>()
  private readonly waiting = new Map<number, Waiting>()
  private readonly dead = new Map<Worker, Error>()
  private readonly home = new Map<PartitionState, { worker: Worker; id: number }>()
  private nextId = 1

  constructor(setup: WorkerSetup, size: number, seen: SeenSet) {
    const url = new URL('./transform-worker.js', import.meta.url)
    const initial = seen.values()
    this.workers = Array.from({ length: size }, () => {
      const worker = new Worker(url, { workerData: setup })
      worker.on('message', (message: ToMain) => this.settle(message))
      worker.on('error', (error) => this.failWorker(worker, error))
      worker.on('exit', (code) =>
        this.failWorker(worker, new Error(`a transform worker stopped (exit code ${code})`)),
      )
      if (initial.length > 0) worker.postMessage({ type: 'seen', hashes: initial } satisfies ToWorker)
      this.busy.set(worker, 0)
      return worker
    })
  }

  get size(): number {
    return this.workers.length
  }

  /** Transforms `p` on the least busy worker into `.partial` files; resolves when they are written. */
  async transform(p: PartitionState): Promise<void> {
    const worker = [...this.busy].sort((a, b) => a[1] - b[1])[0]?.[0] as Worker
    const id = this.nextId++
    this.home.set(p, { worker, id })
    this.busy.set(worker, (this.busy.get(worker) ?? 0) + 1)
    try {
      await this.request(worker, { type: 'transform', id, partition: p })
    } finally {
      this.busy.set(worker, (this.busy.get(worker) ?? 1) - 1)
    }
  }

  /**
   * Commits a transformed partition. Call in job order, each after the previous one resolved: `p.transform`
   * is then final, `seen` holds its keys, and every other worker has been told them.
   */
  async commit(p: PartitionState, seen: SeenSet): Promise<void> {
    const home = this.home.get(p)
    if (!home) throw new Error(`partition ${p.key} was not transformed by this pool`)
    this.home.delete(p)
    const reply = await this.request(home.worker, { type: 'commit', id: home.id })
    if (reply.type !== 'committed') throw new Error(`unexpected ${reply.type} from a transform worker`)
    p.transform = reply.transform
    for (const h of reply.claimed) seen.add(h)
    if (reply.claimed.length === 0) return
    for (const worker of this.workers)
      if (worker !== home.worker)
        worker.postMessage({ type: 'seen', hashes: reply.claimed } satisfies ToWorker)
  }

  async close(): Promise<void> {
    const workers = this.workers.splice(0)
    await Promise.all(workers.map((w) => w.terminate()))
  }

  private request(worker: Worker, message: ToWorker & { id: number }): Promise<ToMain> {
    return new Promise((resolve, reject) => {
      const failure = this.dead.get(worker)
      if (failure) return reject(failure)
      this.waiting.set(message.id, { worker, resolve, reject })
      worker.postMessage(message)
    })
  }

  private settle(message: ToMain): void {
    const waiting = this.waiting.get(message.id)
    if (!waiting) return
    this.waiting.delete(message.id)
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
  job: { identity: string; jobDir: string; state: JobState },
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
  job: { identity: string; jobDir: string; state: JobState },
  seen: SeenSet,
): TransformPool | undefined {
  const workers = options.transformWorkers
  if (!workers) return undefined
  // A hook given as a function cannot cross to another thread.
  if (options.transformHook && !workers.hookModule) return undefined
  // More workers than partitions would only cost their start-up (one CSV file is one partition).
  const toTransform = job.state.partitions.filter((p) => p.transform.status !== 'done').length
  const size = Math.min(workers.count ?? Math.min(4, availableParallelism()), toTransform)
  if (size < 2) return undefined
  return new TransformPool(
    {
      sourceModule: workers.sourceModule,
      ...(workers.hookModule ? { hookModule: workers.hookModule } : {}),
      ...(options.mapping ? { mapping: options.mapping } : {}),
      config: options.config,
      mappingOverrides: options.mapping?.source ?? {},
      identity: job.identity,
      jobDir: job.jobDir,
    },
    size,
    seen,
  )
}
