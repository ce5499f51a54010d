import type { RateLimiter } from './rate-limiter.js'
import type { ProgressEvent } from './run-options.js'
import { exportSkipped, type JobState, type LoadCheckpoint, partitionLoaded } from './state.js'

/** Running totals shared by the stages; the ticker turns them into `stats` progress events. */
export interface JobStats {
  read: number
  staged: number
  loaded: number
  dead: number
}

/** Totals carried over from earlier runs: finished partitions, plus the loaded prefix of the others. */
export function resumedStats(state: JobState, checkpoint: LoadCheckpoint): JobStats {
  const stats = { read: 0, staged: 0, loaded: 0, dead: 0 }
  for (const p of state.partitions) {
    // Counted as the summary counts them: a resumed run's progress starts where the last one stopped.
    if (p.export.status !== 'pending') stats.read += p.export.records + exportSkipped(p)
    stats.staged += p.transform.events
    stats.loaded += partitionLoaded(p, checkpoint)
    stats.dead += p.load.deadLettered
  }
  return stats
}

/** The rate is taken over this many seconds: one second's sample swings with every batch. */
const RATE_WINDOW = 10

/**
 * Events still to send: those staged and not yet loaded, plus, for the partitions not transformed yet, as
 * many as the transformed ones held on average. Without it the ETA counted only what was staged, and said
 * "19s" for a run with eight minutes to go.
 */
export function eventsToCome(stats: JobStats, state: JobState): number {
  const transformed = state.partitions.filter((p) => p.transform.status === 'done')
  const waiting = state.partitions.filter(
    (p) => p.transform.status !== 'done' && p.export.status !== 'failed',
  )
  const perPartition = transformed.length > 0 ? stats.staged / transformed.length : 0
  return Math.max(0, stats.staged - stats.loaded - stats.dead) + Math.round(perPartition * waiting.length)
}

/** Emits a `stats` event every second (rate over the last ten seconds, ETA); returns the stop function. */
export function startStatsTicker(
  stats: JobStats,
  state: JobState,
  limiter: RateLimiter,
  emit: (e: ProgressEvent) => void,
): () => void {
  const samples = [{ at: Date.now(), loaded: stats.loaded }]
  const ticker = setInterval(() => {
    const now = Date.now()
    samples.push({ at: now, loaded: stats.loaded })
    if (samples.length > RATE_WINDOW + 1) samples.shift()
    const first = samples[0]!
    const eps = ((stats.loaded - first.loaded) * 1000) / Math.max(1, now - first.at)
    const remaining = eventsToCome(stats, state)
    emit({
      type: 'stats',
      partitionsExported: state.partitions.filter((p) => p.export.status === 'done').length,
      partitionsTransformed: state.partitions.filter((p) => p.transform.status === 'done').length,
      partitionsDone: state.partitions.filter((p) => p.load.status === 'done').length,
      partitionsTotal: state.partitions.length,
      recordsRead: stats.read,
      eventsStaged: stats.staged,
      eventsLoaded: stats.loaded,
      deadLettered: stats.dead,
      recordsRejected: state.partitions.reduce((sum, p) => sum + p.transform.rejected, 0),
      eventsPerSecond: Math.round(eps),
      etaSeconds: eps > 0 ? Math.round(remaining / eps) : null,
      rate: Math.round(limiter.rate),
    })
  }, 1000)
  ticker.unref()
  return () => clearInterval(ticker)
}
