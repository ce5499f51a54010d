import type { EventHook } from '../contracts/mapping.js'
import type { AnySource, Partition, SourceContext } from '../contracts/source.js'
import type { Logger } from '../util/logger.js'
import type { BackoffPolicy, Clock } from './backoff.js'
import { exportPartition } from './export-stage.js'
import type { ProgressEvent } from './run-options.js'
import type { SeenSet } from './seen-set.js'
import { type JobPaths, type JobState, loadOrder, newPartitionState, type PartitionState } from './state.js'
import type { TransformPool } from './transform-pool.js'
import { transformPartition } from './transform-stage.js'

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
 * Tells the loader when each partition is ready to send: true once transformed, false when it failed,
 * was split or replanned away, or will not come this run. Keyed by state object: a replanned partition
 * with the same key is a new object with a new promise.
 */
export class Readiness {
  private readonly map = new Map<PartitionState, Deferred<boolean>>()
  of(p: PartitionState): Deferred<boolean> {
    let d = this.map.get(p)
    if (!d) {
      d = new Deferred<boolean>()
      this.map.set(p, d)
      if (p.transform.status === 'done') d.resolve(true)
    }
    return d
  }
}

export interface ProducerDeps {
  state: JobState
  source: AnySource
  sourceCtx: SourceContext<unknown>
  config: Record<string, unknown>
  paths: JobPaths
  backoff: BackoffPolicy
  clock: Clock
  save(): Promise<void>
  emit(event: ProgressEvent): void
  warn(message: string): void
  redact(text: string): string
  readiness: Readiness
  stats: { read: number; staged: number }
  seen: SeenSet
  hooks: EventHook[]
  signal: AbortSignal
  exportCheckpointMs: number
  mappingOverrides: Record<string, unknown>
  /** Worker threads to transform on; without it each partition is transformed on this thread. */
  pool?: TransformPool
  /** Whether the source answered in this run, across partitions (see ExportStageOptions.reach). */
  reach: { answered: boolean }
  /**
   * Staged bytes (exports and events) not yet loaded beyond which the next export waits for the load to
   * catch up: the export is usually far faster than PostHog's rate, and would otherwise stage the whole
   * data set on disk before much of it is sent.
   */
  maxStagedBytes: number
  logger?: Logger
}

const HOUR_MS = 3600_000
const YEAR_MS = 365.25 * 24 * HOUR_MS

function checkRecency(p: PartitionState, now: number, warn: (message: string) => void) {
  const last = p.transform.lastTimestamp
  if (!last) return
  const age = now - Date.parse(last)
  if (age < 0)
    warn(
      `partition ${p.key} has events in the future (up to ${last}); PostHog clamps those more than 23 h ahead to the time of import`,
    )
  else if (age < 48 * HOUR_MS)
    warn(
      `partition ${p.key} has events newer than 48 hours (up to ${last}); PostHog asks for imported data to be at least 48 hours old`,
    )
}

/** Events that only update persons or groups: applied at ingestion, whatever the retention. */
const PERSON_UPDATES = new Set(['$set', '$identify', '$create_alias', '$merge_dangerously', '$groupidentify'])

/**
 * PostHog keeps events for the plan's retention, counted from each event's timestamp: older ones age out
 * as they arrive (posthog.com/docs/product-analytics/data-retention). The plan is not known here, so events
 * past the shortest retention (a year) are pointed out, once a run. Returns whether it warned.
 */
function checkRetention(p: PartitionState, now: number, warn: (message: string) => void): boolean {
  const { byDay, byName, firstTimestamp } = p.transform
  if (!firstTimestamp || now - Date.parse(firstTimestamp) <= YEAR_MS) return false
  if (Object.keys(byName).every((name) => PERSON_UPDATES.has(name))) return false
  const cutoff = new Date(now - YEAR_MS).toISOString().slice(0, 10)
  let old = 0
  for (const day in byDay) if (day < cutoff) old += byDay[day] ?? 0
  if (old === 0) return false
  warn(
    `partition ${p.key} has ${old.toLocaleString('en-US')} events more than a year old (from ${firstTimestamp.slice(0, 10)}; said once, for the first partition with any, so later ones may have more). ` +
      "PostHog drops events older than the plan's retention as they arrive (Free 1 year, Pay-as-you-go 2, " +
      'Boost 5, Scale and Enterprise 7): check your plan, and import a later range if it keeps less',
  )
  return true
}

/**
 * Export then transform, partition by partition in load order, handing each transformed partition to the
 * loader. Splits and replans reshape the plan as they come. With a pool, the next partition exports here
 * while one transforms on the workers; they commit in load order, so `ctx.once` stays deterministic.
 */
export async function produce(deps: ProducerDeps): Promise<void> {
  const {
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
    stats,
    seen,
    hooks,
  } = deps
  const deferredFor = (p: PartitionState) => deps.readiness.of(p)
  const exported: Array<{
    partition: Partition
    records: number
    bytes: number
  }> = []
  const failedThisRun = new Set<string>()
  const now = sourceCtx.now.getTime()
  let retentionWarned = false
  const transformed = async (p: PartitionState) => {
    stats.staged += p.transform.events
    await save()
    checkRecency(p, now, warn)
    if (!retentionWarned) retentionWarned = checkRetention(p, now, warn)
    emit({ type: 'partition', stage: 'transform', key: p.key, status: 'done' })
    deferredFor(p).resolve(true)
  }
  // Partitions on the pool's workers, in load order: the head commits first.
  const inFlight: Array<{ p: PartitionState; written: Promise<void> }> = []
  const commitHead = async () => {
    const head = inFlight.shift()
    if (!head || !deps.pool) return
    await head.written
    await deps.pool.commit(head.p)
    await transformed(head.p)
  }
  /**
   * Staged and not yet loaded, of the partitions before `next` in load order: the ones the load can send
   * before it needs `next`. Those after it (staged by an earlier run, before `next` was reset or failed)
   * wait for `next` themselves, so waiting on them would never end.
   */
  const stagedAhead = (next: PartitionState) => {
    const order = loadOrder(s.partitions)
    return order
      .slice(0, order.indexOf(next))
      .filter((p) => p.load.status !== 'done' && !failedThisRun.has(p.key))
      .reduce((sum, p) => sum + p.export.bytes + (p.transform.bytes ?? 0), 0)
  }
  const waitForRoom = async (next: PartitionState) => {
    if (stagedAhead(next) <= deps.maxStagedBytes) return
    // The loader can only send committed partitions: hand it those on the workers before waiting on it.
    while (inFlight.length > 0) await commitHead()
    deps.logger?.info(
      `export of ${next.key} waits: ${Math.round(stagedAhead(next) / 1e6)} MB staged and not yet loaded`,
    )
    // Real time, not the injected clock: this waits on the load's I/O, and a test clock that returns at once
    // would spin here without ever letting it run.
    while (!deps.signal.aborted && stagedAhead(next) > deps.maxStagedBytes)
      await new Promise((resolve) => setTimeout(resolve, 200))
  }
  for (;;) {
    const next = loadOrder(s.partitions).find(
      (p) => p.transform.status !== 'done' && !failedThisRun.has(p.key) && !inFlight.some((f) => f.p === p),
    )
    if (!next) break
    if (next.export.status !== 'done') {
      await waitForRoom(next)
      if (deps.signal.aborted) break
      emit({ type: 'partition', stage: 'export', key: next.key, status: 'started' })
      const outcome = await exportPartition(next, {
        source,
        paths,
        context: sourceCtx,
        backoff,
        clock,
        save,
        redact,
        checkpointEveryMs: deps.exportCheckpointMs,
        reach: deps.reach,
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
        warn(`partition ${next.key} failed after ${next.export.attempts} attempts: ${outcome.error.message}`)
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
    const stageOptions = {
      source,
      identity: s.identity,
      config,
      mappingOverrides: deps.mappingOverrides,
      paths,
      seen,
      hooks,
      signal: deps.signal,
    }
    if (deps.pool) {
      // The pool transforms one partition at a time on every worker; the next one exports meanwhile.
      const written = deps.pool.transform(next, stageOptions)
      // Awaited in turn by commitHead; a failure meanwhile must not count as unhandled.
      written.catch(() => {})
      inFlight.push({ p: next, written })
      while (inFlight.length >= 2) await commitHead()
      continue
    }
    await transformPartition(next, stageOptions)
    await transformed(next)
  }
  while (inFlight.length > 0) await commitHead()
  // Anything the loader still waits for will not come this run.
  for (const p of s.partitions) if (p.transform.status !== 'done') deferredFor(p).resolve(false)
}
