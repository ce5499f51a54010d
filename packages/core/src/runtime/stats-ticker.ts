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

/** Emits a `stats` event every second (rate over the last second, ETA); returns the stop function. */
export function startStatsTicker(
  stats: JobStats,
  state: JobState,
  limiter: RateLimiter,
  emit: (e: ProgressEvent) => void,
): () => void {
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
      partitionsExported: state.partitions.filter((p) => p.export.status === 'done').length,
      partitionsTransformed: state.partitions.filter((p) => p.transform.status === 'done').length,
      partitionsDone: state.partitions.filter((p) => p.load.status === 'done').length,
      partitionsTotal: state.partitions.length,
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
  return () => clearInterval(ticker)
}
