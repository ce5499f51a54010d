import { stat } from 'node:fs/promises'
import path from 'node:path'
import { formatConfigIssues, secretValues } from '../contracts/config.js'
import { ConfigError, errorKind, FatalError, PhImportError } from '../contracts/errors.js'
import { compileMapping, type EventHook } from '../contracts/mapping.js'
import type { SourceContext } from '../contracts/source.js'
import { createLogger } from '../util/logger.js'
import { createRedactor } from '../util/redact.js'
import { contentHash } from '../util/uuid.js'
import { writeJsonAtomic } from './atomic-fs.js'
import { DEFAULT_BACKOFF, systemClock } from './backoff.js'
import { earlierImportsOfTheSameData, stateDirOf } from './earlier-jobs.js'
import { createSourceHttp } from './http.js'
import { checkInputUnchanged } from './input-changed.js'
import { oneAtATime, openJobDir, removeUnusedJobDir } from './job-dir.js'
import { jobIdFor, storageOrUnknown } from './job-id.js'
import { acquireJobLock } from './job-lock.js'
import { loadPartitions } from './load-stage.js'
import { planJob } from './plan-job.js'
import { produce, Readiness } from './producer.js'
import { RateLimiter } from './rate-limiter.js'
import { assembleRejects, buildReport, writeReport } from './report.js'
import { readRequestTimes, requestBudgetFile } from './request-budget.js'
import type { ProgressEvent, RunImportOptions, RunResult } from './run-options.js'
import { SeenSet } from './seen-set.js'
import { checkStagedFiles, loadClaimsOf, rebuildEvents } from './staged-check.js'
import {
  JobPaths,
  type JobState,
  type PartitionState,
  readLoadCheckpoint,
  readState,
  saveState,
} from './state.js'
import { resumedStats, startStatsTicker } from './stats-ticker.js'
import { withTransformPool } from './transform-pool.js'

export { jobIdFor } from './job-id.js'
export type { ProgressEvent, RunImportOptions, RunResult } from './run-options.js'

/** PostHog's managed-migration rate, events/s: the default for a destination that is paced. */
export const DEFAULT_RATE = 1000
/** For a destination that needs no pacing: far above what one process stages. */
export const UNPACED_RATE = 1e9

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
  const target = options.destination.target?.()
  const jobsDir = path.resolve(options.stateDir ?? '.ph-import', 'jobs')
  // Earlier builds hashed config fields left at their default too: a job one of them started keeps its
  // id, so re-running its command after an upgrade resumes it (unless the connector has gained a field since).
  const currentOrLegacyJobId = async () => {
    const args = [source, config, destinationName, options.mapping, target, options.transformDigest] as const
    const current = jobIdFor(...args)
    const legacy = jobIdFor(...args, true)
    const exists = (id: string) =>
      stat(path.join(jobsDir, id)).then(
        () => true,
        () => false,
      )
    if (legacy === current || (await exists(current)) || !(await exists(legacy))) return current
    return legacy
  }
  const jobId = options.jobId ?? (await currentOrLegacyJobId())
  const paths = new JobPaths(path.resolve(jobsDir, jobId))
  // Before the job directory exists: a destination that would keep nothing leaves nothing behind.
  await options.destination.check?.({
    signal: options.signal ?? new AbortController().signal,
    debug: (message) => logger.debug(redact(message)),
  })
  const createdDir = await openJobDir(paths.dir, options.fresh ?? false)
  const abort = new AbortController()
  // Taken over by another run while held (this one was thought gone): stop at once, and write nothing more,
  // since the job's files are now the other run's.
  let lockLost: FatalError | undefined
  const unlock = await acquireJobLock(paths.lock, jobId, {
    onLost: (error) => {
      lockLost = error
      abort.abort(error)
    },
    onWait: (message) => options.onProgress?.({ type: 'warning', message }),
  })
  const onOuterAbort = () => abort.abort(options.signal?.reason ?? new Error('interrupted'))
  options.signal?.addEventListener('abort', onOuterAbort, { once: true })
  if (options.signal?.aborted) onOuterAbort()

  let state: JobState | undefined
  const limits = typeof source.limits === 'function' ? source.limits(config) : source.limits
  const budgetFile = requestBudgetFile(
    stateDirOf(paths.dir),
    source.name,
    source.identity?.(config) ?? 'default',
  )
  // The source host answered in this run (a response or a page): an unreachable one then fails fast.
  const reach = { answered: false }
  const { http, spent } = createSourceHttp({
    limits,
    spent: await readRequestTimes([budgetFile, paths.budget]),
    onResponse: () => {
      reach.answered = true
    },
  })
  const sourceCtx: SourceContext<unknown> = {
    config,
    http,
    signal: abort.signal,
    logger: logger.child(source.name),
    warn,
    now: options.now ?? new Date(),
  }
  // Stages save concurrently; writes go one at a time so the newest state always lands last.
  const save = oneAtATime(async () => {
    if (!state) return
    await saveState(paths, state)
    if (limits?.requestsPerHour) await writeJsonAtomic(budgetFile, { spent: spent() })
  })

  try {
    state = await readState(paths)
    const resumed = state !== undefined
    if (state) await checkInputUnchanged(source, sourceCtx, state)
    if (state) checkTransformUnchanged(state, options.transformDigest)
    if (!state) {
      state = await planJob({
        source,
        sourceCtx,
        config,
        jobId,
        destinationName,
        ...(target === undefined ? {} : { target }),
        mapping: contentHash(options.mapping ?? null, 16),
        transform: options.transformDigest ?? 'none',
        redact,
        warnings: planWarnings,
      })
      // A file destination (a dry run) duplicates nothing.
      if (options.checkEarlierJobs !== false && options.destination.paced !== false)
        for (const w of await earlierImportsOfTheSameData(stateDirOf(paths.dir), state, source)) warn(w)
      // The plan is on disk before the first export request.
      await save()
    }
    // Nothing left to export (a resume of a job that only loads now): no estimate of zero queries.
    const toExport = state.partitions.filter((p) => p.export.status !== 'done')
    const estimate = toExport.length > 0 ? source.estimate?.(toExport, config) : undefined
    emit({
      type: 'plan',
      jobId,
      jobDir: paths.dir,
      // A plan that was declined (or only planned) never ran: running it now is no resume.
      resumed: resumed && state.runs > 0,
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

    const hooks: EventHook[] = []
    if (options.mapping) hooks.push(compileMapping(options.mapping))
    if (options.transformHook) hooks.push(options.transformHook)
    const checkpoint = await readLoadCheckpoint(paths)
    if (resumed) {
      // Nothing is sent from a staged file that is not the one this job wrote.
      const rebuild = await checkStagedFiles(state, paths, checkpoint, warn)
      for (const p of rebuild)
        await rebuildEvents(p, state, {
          ...(options.claimsFromJob
            ? { claimsFrom: path.join(path.dirname(paths.dir), options.claimsFromJob) }
            : {}),
          ...(options.claimsFromPartitions ? { claimsOf: options.claimsFromPartitions } : {}),
          source,
          identity: state.identity,
          config,
          mappingOverrides: options.mapping?.source ?? {},
          paths,
          hooks,
          signal: abort.signal,
        })
      await save()
    }
    const seen = new SeenSet()
    for (const p of state.partitions)
      if (p.transform.status === 'done') await seen.loadFile(paths.seenKeys(p))
    if (options.claimsFromJob)
      await loadClaimsOf(
        seen,
        path.join(path.dirname(paths.dir), options.claimsFromJob),
        options.claimsFromPartitions,
      )

    const rate = options.rate ?? (options.destination.paced === false ? UNPACED_RATE : DEFAULT_RATE)
    const limiter = new RateLimiter({ ratePerSecond: rate, clock })
    const readiness = new Readiness()
    const deferredFor = (p: PartitionState) => readiness.of(p)
    const stats = resumedStats(state, checkpoint)
    const s = state
    const producer = () =>
      withTransformPool(options, { identity: s.identity, state: s }, seen, abort.signal, (pool) =>
        produce({
          state: s,
          source,
          sourceCtx,
          config,
          paths,
          backoff,
          clock,
          save,
          emit,
          warn,
          redact,
          readiness,
          stats,
          seen,
          hooks,
          signal: abort.signal,
          exportCheckpointMs: options.exportCheckpointMs ?? 1000,
          reach,
          maxStagedBytes: options.maxStagedBytes ?? DEFAULT_MAX_STAGED_BYTES,
          logger,
          mappingOverrides: options.mapping?.source ?? {},
          ...(pool ? { pool } : {}),
        }),
      )

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
        onPartition: (p, status) => emit({ type: 'partition', stage: 'load', key: p.key, status }),
        ...(options.keepStaged ? { keepStaged: true } : {}),
      })

    const stopTicker = startStatsTicker(stats, s, limiter, emit)
    let firstFailure: unknown
    const stop = (e: unknown) => {
      firstFailure ??= e
      abort.abort(e)
      // Release a loader waiting for a partition the producer will now never finish.
      for (const p of s.partitions) deferredFor(p).resolve(false)
    }
    await Promise.allSettled([producer().catch(stop), loader().catch(stop)])
    stopTicker()
    // The first failure is the cause; the other stage usually just saw the abort it triggered.
    if (firstFailure !== undefined) throw firstFailure
    const complete = s.partitions.every((p) => p.load.status === 'done')
    return await finish(complete ? 'done' : 'incomplete')
  } catch (error) {
    if (lockLost) throw lockLost
    if (options.signal?.aborted) return await finish('interrupted')
    const kind = errorKind(error)
    if (kind === 'config') {
      // Found once the job runs (an export that meets a bad setting): the job is failed, not left running.
      // A job refused before it ran again (its input changed) keeps the status it had.
      if (state?.status === 'running') {
        state.status = 'failed'
        state.error = {
          message: redact((error as Error).message),
          ...((error as PhImportError).hint ? { hint: (error as PhImportError).hint as string } : {}),
        }
        await save().catch(() => {})
      }
      await unlock()
      throw error
    }
    const err = error instanceof PhImportError ? error : storageOrUnknown(error, paths.dir)
    if (state)
      state.error = {
        message: redact(err.message),
        ...(err.hint ? { hint: err.hint } : {}),
        ...((err as FatalError).transient ? { transient: true } : {}),
      }
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
    // Nothing was saved (the plan failed): leave no empty job directory behind.
    if (!state && createdDir) await removeUnusedJobDir(paths.dir, createdDir)
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

/** 2 GB: about 1.3 million Amplitude events staged twice (export and events, ~1.5 KB an event), ahead of the load. */
export const DEFAULT_MAX_STAGED_BYTES = 2e9

/**
 * A job resumed by id with a `--transform` module that changed since it started (or was added or
 * removed) would give the events still to come another shape than those already sent.
 */
function checkTransformUnchanged(state: JobState, digest: string | undefined): void {
  if (state.transform === undefined || state.transform === (digest ?? 'none')) return
  throw new ConfigError(
    `the --transform module of job ${state.jobId} changed since it started (or was added or removed)`,
    {
      hint: 'restore the module to resume the job as it began, or run the import command again with the new one: that is a new job, which sends the whole range again',
    },
  )
}
