import { mkdir, rm } from 'node:fs/promises'
import path from 'node:path'
import { formatConfigIssues, publicConfig, secretValues } from '../contracts/config.js'
import type { Destination } from '../contracts/destination.js'
import { ConfigError, errorKind, FatalError, PhImportError } from '../contracts/errors.js'
import { compileMapping, type EventHook, type MappingConfig } from '../contracts/mapping.js'
import type { AnySource, SourceContext } from '../contracts/source.js'
import { createLogger, type Logger } from '../util/logger.js'
import { createRedactor } from '../util/redact.js'
import { contentHash } from '../util/uuid.js'
import { readJsonIfExists, writeJsonAtomic } from './atomic-fs.js'
import { type BackoffPolicy, type Clock, DEFAULT_BACKOFF, systemClock } from './backoff.js'
import { exportPartition } from './export-stage.js'
import { createSourceHttp } from './http.js'
import { acquireJobLock } from './job-lock.js'
import { loadPartitions } from './load-stage.js'
import { RateLimiter } from './rate-limiter.js'
import { assembleRejects, buildReport, type JobReport, writeReport } from './report.js'
import { SeenSet } from './seen-set.js'
import {
  JobPaths,
  type JobState,
  loadOrder,
  newPartitionState,
  type PartitionState,
  readLoadCheckpoint,
  readState,
  saveState,
} from './state.js'
import { transformPartition } from './transform-stage.js'

export type ProgressEvent =
  | {
      type: 'plan'
      jobId: string
      jobDir: string
      resumed: boolean
      partitions: number
      estimate?: { seconds: number; note: string }
    }
  | {
      type: 'partition'
      stage: 'export' | 'transform' | 'load'
      key: string
      status: 'started' | 'done' | 'failed' | 'split'
      detail?: string
    }
  | { type: 'retry'; stage: 'export' | 'load'; message: string; attempt: number; delayMs: number }
  | { type: 'warning'; message: string }
  | {
      type: 'stats'
      partitionsDone: number
      partitionsTotal: number
      recordsRead: number
      eventsStaged: number
      eventsLoaded: number
      deadLettered: number
      eventsPerSecond: number
      etaSeconds: number | null
      rate: number
    }
  | { type: 'done'; status: JobState['status']; report: JobReport }

export interface RunImportOptions {
  source: AnySource
  /** Unparsed connector config; validated here (ConfigError on failure). */
  config: unknown
  destination: Destination
  /** Parent of `jobs/<id>`; default `./.ph-import`. */
  stateDir?: string
  /** Resume a job by id instead of deriving it. */
  jobId?: string
  /** Discard the job's state and start over. */
  fresh?: boolean
  mapping?: MappingConfig
  /** A user hook applied after the mapping (e.g. `--transform module.js`). */
  transformHook?: EventHook
  /** Events per second ceiling (default 1,000: PostHog's managed-migration rate). */
  rate?: number
  /** Optional ceiling on destination requests per minute. */
  requestsPerMinute?: number
  batchSize?: number
  maxBatchBytes?: number
  concurrency?: number
  /** Extra secret values to redact (the destination's key). */
  secrets?: string[]
  signal?: AbortSignal
  logger?: Logger
  onProgress?: (event: ProgressEvent) => void
  backoff?: Partial<BackoffPolicy>
  clock?: Clock
  now?: Date
  /** Minimum time between mid-partition export checkpoints (default 1 s). */
  exportCheckpointMs?: number
  /** Stop after planning (for the confirmation prompt); the plan is saved. */
  planOnly?: boolean
  /** Called after planning, before any export; return false to stop (user declined). */
  confirm?: (summary: {
    partitions: number
    estimate?: { seconds: number; note: string }
  }) => Promise<boolean>
}

export interface RunResult {
  jobId: string
  jobDir: string
  status: JobState['status']
  report: JobReport
}

const STORAGE_CODES: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exhausted',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EIO: 'an I/O error occurred',
}

/** A write failure in the job directory becomes a message that says where, and that a re-run resumes. */
function storageOrUnknown(error: unknown, dir: string): FatalError {
  const code = (error as { code?: unknown })?.code
  const what = typeof code === 'string' ? STORAGE_CODES[code] : undefined
  if (what) {
    return new FatalError(`cannot write the job directory ${dir}: ${what} (${code})`, {
      cause: error,
      hint: 'free space or fix permissions (or use --state-dir elsewhere), then re-run the same command: it resumes from the last checkpoint',
    })
  }
  return new FatalError(String((error as Error)?.message ?? error), { cause: error })
}

export function jobIdFor(
  source: AnySource,
  config: Record<string, unknown>,
  destination: string,
  mapping?: MappingConfig,
) {
  const identity = source.identity?.(config) ?? 'default'
  const pub = publicConfig(source.config, config)
  // The description is hashed too so a derived source (re-processing rejects) never resumes the original job.
  return `${source.name}-${contentHash({ pub, identity, destination, mapping: mapping ?? null, kind: source.description }, 12)}`
}

class Deferred<T> {
  promise: Promise<T>
  resolve!: (v: T) => void
  constructor() {
    this.promise = new Promise((r) => {
      this.resolve = r
    })
  }
}

/**
 * Runs (or resumes) one import job: plan → export → transform → load, each stage persisted in the job
 * directory so a crash anywhere resumes without losing or repeating events. Export/transform of
 * partition n+1 overlaps the load of partition n; memory stays flat because every stage streams files.
 */
export async function runImport(options: RunImportOptions): Promise<RunResult> {
  const startedAt = new Date()
  const source = options.source
  const parsed = source.config.safeParse(options.config)
  if (!parsed.success) {
    throw new ConfigError(`invalid ${source.name} config:\n${formatConfigIssues(parsed.error)}`, {
      hint: `run \`ph-import ${source.name} --help\` to see the options`,
    })
  }
  const config = parsed.data as Record<string, unknown>
  const redact = createRedactor([...secretValues(source.config, config), ...(options.secrets ?? [])])
  const logger = options.logger ?? createLogger({ sink: () => {}, redact })
  const emit = (e: ProgressEvent) => options.onProgress?.(e)
  const planWarnings: string[] = []
  const warn = (message: string) => {
    const safe = redact(message)
    logger.warn(safe)
    emit({ type: 'warning', message: safe })
    // Warnings from plan() come before the state exists; they join it when it is created.
    const into = state?.warnings ?? planWarnings
    if (!into.includes(safe)) into.push(safe)
  }
  const clock = options.clock ?? systemClock
  const backoff = { ...DEFAULT_BACKOFF, ...options.backoff }
  const destinationName = options.destination.describe()
  const jobId = options.jobId ?? jobIdFor(source, config, destinationName, options.mapping)
  const paths = new JobPaths(path.resolve(options.stateDir ?? '.ph-import', 'jobs', jobId))
  try {
    if (options.fresh) await rm(paths.dir, { recursive: true, force: true })
    await mkdir(paths.dir, { recursive: true })
  } catch (error) {
    throw new ConfigError(`cannot create the job directory ${paths.dir}: ${(error as Error).message}`, {
      cause: error,
      hint: 'pass --state-dir with a writable directory',
    })
  }
  const unlock = await acquireJobLock(paths.lock, jobId)
  const abort = new AbortController()
  const onOuterAbort = () => abort.abort(options.signal?.reason ?? new Error('interrupted'))
  options.signal?.addEventListener('abort', onOuterAbort, { once: true })
  if (options.signal?.aborted) onOuterAbort()

  let state: JobState | undefined
  const limits = typeof source.limits === 'function' ? source.limits(config) : source.limits
  const budget = await readJsonIfExists<{ spent: number[] }>(paths.budget)
  const { http, spent } = createSourceHttp({ limits, spent: budget?.spent ?? [] })
  const sourceCtx: SourceContext<unknown> = {
    config,
    http,
    signal: abort.signal,
    logger: logger.child(source.name),
    warn,
    now: options.now ?? new Date(),
  }
  // Stages save concurrently; writes go one at a time so the newest state always lands last.
  let saving: Promise<void> = Promise.resolve()
  const save = () => {
    saving = saving
      .catch(() => {})
      .then(async () => {
        if (!state) return
        await saveState(paths, state)
        if (limits?.requestsPerHour) await writeJsonAtomic(paths.budget, { spent: spent() })
      })
    return saving
  }

  try {
    state = await readState(paths)
    const resumed = state !== undefined
    if (!state) {
      const identity = source.identity?.(config) ?? 'default'
      const partitions = await source.plan(sourceCtx)
      const keys = new Set<string>()
      for (const p of partitions) {
        if (keys.has(p.key))
          throw new FatalError(`[${source.name}] plan has two partitions with key ${p.key}`)
        keys.add(p.key)
      }
      const now = new Date().toISOString()
      state = {
        version: 1,
        jobId,
        source: source.name,
        identity,
        config: JSON.parse(redact(JSON.stringify(publicConfig(source.config, config)))) as Record<
          string,
          unknown
        >,
        destination: destinationName,
        createdAt: now,
        updatedAt: now,
        status: 'planned',
        runs: 0,
        warnings: planWarnings,
        partitions: partitions.map((p, i) => newPartitionState(p, i)),
      }
      // The plan is on disk before the first export request.
      await save()
    }
    const estimate = source.estimate?.(
      state.partitions.filter((p) => p.export.status !== 'done'),
      config,
    )
    emit({
      type: 'plan',
      jobId,
      jobDir: paths.dir,
      resumed,
      partitions: state.partitions.length,
      ...(estimate ? { estimate } : {}),
    })
    if (
      options.planOnly ||
      (options.confirm &&
        !(await options.confirm({ partitions: state.partitions.length, ...(estimate ? { estimate } : {}) })))
    ) {
      return await finish('planned')
    }
    state.status = 'running'
    state.runs++
    delete state.error
    for (const p of state.partitions) {
      if (p.export.status !== 'done') p.export.attempts = 0
      if (p.export.status === 'failed') {
        p.export.status = 'pending'
        delete p.export.error
      }
    }
    await save()

    const seen = new SeenSet()
    for (const p of state.partitions)
      if (p.transform.status === 'done') await seen.loadFile(paths.seenKeys(p))
    const hooks: EventHook[] = []
    if (options.mapping) hooks.push(compileMapping(options.mapping))
    if (options.transformHook) hooks.push(options.transformHook)

    const rate = options.rate ?? 1000
    const limiter = new RateLimiter({ ratePerSecond: rate, clock })
    const ready = new Map<PartitionState, Deferred<boolean>>()
    const deferredFor = (p: PartitionState) => {
      let d = ready.get(p)
      if (!d) {
        d = new Deferred<boolean>()
        ready.set(p, d)
        if (p.transform.status === 'done') d.resolve(true)
      }
      return d
    }
    const stats = { read: 0, staged: 0, loaded: 0, dead: 0 }
    for (const p of state.partitions) {
      stats.staged += p.transform.events
      stats.loaded += p.load.loaded
      stats.dead += p.load.deadLettered
    }
    const checkpoint = await readLoadCheckpoint(paths)
    for (const [key, line] of Object.entries(checkpoint.lines)) {
      const p = state.partitions.find((x) => x.key === key)
      if (p && p.load.status !== 'done') stats.loaded += line
    }
    const s = state
    const checkRecency = (p: PartitionState) => {
      const last = p.transform.lastTimestamp
      if (!last) return
      const age = Date.now() - Date.parse(last)
      if (age < 0)
        warn(
          `partition ${p.key} has events in the future (up to ${last}); PostHog clamps those more than 23 h ahead to the time of import`,
        )
      else if (age < 48 * 3600_000)
        warn(
          `partition ${p.key} has events newer than 48 hours (up to ${last}); PostHog asks for imported data to be at least 48 hours old`,
        )
    }

    const producer = async () => {
      const exported: Array<{
        partition: import('../contracts/source.js').Partition
        records: number
        bytes: number
      }> = []
      const failedThisRun = new Set<string>()
      for (;;) {
        const next = loadOrder(s.partitions).find(
          (p) => p.transform.status !== 'done' && !failedThisRun.has(p.key),
        )
        if (!next) break
        if (next.export.status !== 'done') {
          emit({ type: 'partition', stage: 'export', key: next.key, status: 'started' })
          const outcome = await exportPartition(next, {
            source,
            paths,
            context: sourceCtx,
            backoff,
            clock,
            save,
            checkpointEveryMs: options.exportCheckpointMs ?? 1000,
            onRecords: (n) => {
              stats.read += n
            },
            onRetry: (error, attempt, delayMs) =>
              emit({ type: 'retry', stage: 'export', message: redact(error.message), attempt, delayMs }),
          })
          if (outcome.status === 'split') {
            const index = s.partitions.indexOf(next)
            const children = outcome.error.into.map((c, i) => newPartitionState(c, index + i))
            s.partitions.splice(index, 1, ...children)
            await save()
            deferredFor(next).resolve(false)
            emit({
              type: 'partition',
              stage: 'export',
              key: next.key,
              status: 'split',
              detail: redact(outcome.error.message),
            })
            continue
          }
          if (outcome.status === 'failed') {
            failedThisRun.add(next.key)
            warn(
              `partition ${next.key} failed after ${next.export.attempts} attempts: ${outcome.error.message}`,
            )
            emit({
              type: 'partition',
              stage: 'export',
              key: next.key,
              status: 'failed',
              detail: redact(outcome.error.message),
            })
            deferredFor(next).resolve(false)
            continue
          }
          emit({ type: 'partition', stage: 'export', key: next.key, status: 'done' })
          exported.push({
            partition: { key: next.key, params: next.params },
            records: next.export.records,
            bytes: next.export.bytes,
          })
          if (source.replan) {
            const pending = loadOrder(s.partitions).filter((p) => p.export.status === 'pending')
            const reshaped = source.replan({
              ...sourceCtx,
              exported,
              pending: pending.map((p) => ({
                key: p.key,
                kind: p.kind,
                phase: p.phase,
                order: p.order,
                params: p.params,
              })),
            })
            if (reshaped) {
              for (const p of pending) deferredFor(p).resolve(false)
              const keep = s.partitions.filter((p) => p.export.status !== 'pending')
              s.partitions = [...keep, ...reshaped.map((c, i) => newPartitionState(c, keep.length + i))]
              await save()
            }
          }
        }
        emit({ type: 'partition', stage: 'transform', key: next.key, status: 'started' })
        await transformPartition(next, {
          source,
          identity: s.identity,
          config,
          mappingOverrides: options.mapping?.source ?? {},
          paths,
          seen,
          hooks,
          signal: abort.signal,
        })
        stats.staged += next.transform.events
        await save()
        checkRecency(next)
        emit({ type: 'partition', stage: 'transform', key: next.key, status: 'done' })
        deferredFor(next).resolve(true)
      }
      // Anything the loader still waits for will not come this run.
      for (const p of s.partitions) if (p.transform.status !== 'done') deferredFor(p).resolve(false)
    }

    // A batch of at most a quarter second of the rate: the server's token bucket (PostHog's, the sandbox's)
    // then never sees a burst near its capacity, even with network jitter between our clock and theirs.
    const batchSize = Math.max(1, Math.min(options.batchSize ?? 1000, Math.floor(rate / 4)))
    const loader = () =>
      loadPartitions({
        destination: options.destination,
        reach: { acknowledged: false },
        limiter,
        requestLimiter: options.requestsPerMinute
          ? new RateLimiter({ ratePerSecond: options.requestsPerMinute / 60, clock })
          : undefined,
        backoff,
        clock,
        signal: abort.signal,
        paths,
        partitions: () => s.partitions,
        checkpoint,
        batchSize,
        maxBatchBytes: options.maxBatchBytes ?? 5 * 1024 * 1024,
        concurrency: options.concurrency ?? 2,
        ready: (p) => deferredFor(p).promise,
        isReadyNow: (p) => p.transform.status === 'done',
        saveState: save,
        onRetry: (error, attempt, delayMs) =>
          emit({ type: 'retry', stage: 'load', message: redact(error.message), attempt, delayMs }),
        onLoaded: (n, dead) => {
          stats.loaded += n
          stats.dead += dead
        },
      })

    let lastLoaded = stats.loaded
    let lastTick = Date.now()
    const ticker = setInterval(() => {
      const now = Date.now()
      const eps = ((stats.loaded - lastLoaded) * 1000) / Math.max(1, now - lastTick)
      lastLoaded = stats.loaded
      lastTick = now
      const remaining = stats.staged - stats.loaded - stats.dead
      emit({
        type: 'stats',
        partitionsDone: s.partitions.filter((p) => p.load.status === 'done').length,
        partitionsTotal: s.partitions.length,
        recordsRead: stats.read,
        eventsStaged: stats.staged,
        eventsLoaded: stats.loaded,
        deadLettered: stats.dead,
        eventsPerSecond: Math.round(eps),
        etaSeconds: eps > 0 ? Math.round(remaining / eps) : null,
        rate: Math.round(limiter.rate),
      })
    }, 1000)
    ticker.unref()
    let firstFailure: unknown
    const stop = (e: unknown) => {
      firstFailure ??= e
      abort.abort(e)
      // Release a loader waiting for a partition the producer will now never finish.
      for (const p of s.partitions) deferredFor(p).resolve(false)
    }
    await Promise.allSettled([producer().catch(stop), loader().catch(stop)])
    clearInterval(ticker)
    // The first failure is the cause; the other stage usually just saw the abort it triggered.
    if (firstFailure !== undefined) throw firstFailure
    const complete = s.partitions.every((p) => p.load.status === 'done')
    return await finish(complete ? 'done' : 'incomplete')
  } catch (error) {
    if (options.signal?.aborted) return await finish('interrupted')
    const kind = errorKind(error)
    if (kind === 'config') {
      await unlock()
      throw error
    }
    const err = error instanceof PhImportError ? error : storageOrUnknown(error, paths.dir)
    if (state) state.error = { message: redact(err.message), ...(err.hint ? { hint: err.hint } : {}) }
    try {
      return await finish('failed')
    } catch {
      // The job directory itself cannot be written (full disk): report the cause, not the failed save.
      throw err
    }
  } finally {
    options.signal?.removeEventListener('abort', onOuterAbort)
    await Promise.resolve()
      .then(() => options.destination.close?.())
      .catch(() => {})
    await unlock()
  }

  async function finish(status: JobState['status']): Promise<RunResult> {
    if (!state) throw new FatalError('job state missing')
    state.status = status
    await save()
    const loadCodes = await assembleRejects(state, paths)
    const checkpoint = await readLoadCheckpoint(paths)
    const report = buildReport(state, checkpoint, paths, { startedAt, finishedAt: new Date() }, loadCodes)
    await writeReport(paths, report)
    emit({ type: 'done', status, report })
    return { jobId: state.jobId, jobDir: paths.dir, status, report }
  }
}
