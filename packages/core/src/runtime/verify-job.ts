import { countEventsByDay } from '../destinations/posthog/daily-counts.js'
import type { JobState } from './state.js'

const DAY_MS = 86_400_000

/** Events per UTC day of the partitions that finished loading (what PostHog acknowledged). */
function loadedByDay(state: JobState): Map<string, number> {
  const out = new Map<string, number>()
  for (const p of state.partitions) {
    if (p.load.status !== 'done') continue
    for (const [day, count] of Object.entries(p.transform.byDay)) out.set(day, (out.get(day) ?? 0) + count)
  }
  return out
}

const nextDay = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10)

export interface DayCount {
  day: string
  job: number
  posthog: number
}

export interface Verification {
  /** Every day the job loaded or PostHog holds, in order; empty when nothing is loaded yet. */
  days: DayCount[]
  short: DayCount[]
  over: DayCount[]
  /** Events the job loaded that PostHog does not hold, summed over the short days. */
  missing: number
  loaded: number
  inPostHog: number
}

/** Compares a job's loaded events per UTC day with PostHog's count of its `$import_source` events. */
export async function verifyJob(
  state: JobState,
  query: { host: string; personalApiKey: string; projectId: string; importSource: string },
): Promise<Verification> {
  const job = loadedByDay(state)
  const loadedDays = [...job.keys()].sort()
  const first = loadedDays[0]
  const last = loadedDays[loadedDays.length - 1]
  const posthog =
    first && last
      ? await countEventsByDay({ ...query, from: first, to: nextDay(last) })
      : new Map<string, number>()
  const days = [...new Set([...loadedDays, ...posthog.keys()])].sort().map((day) => ({
    day,
    job: job.get(day) ?? 0,
    posthog: posthog.get(day) ?? 0,
  }))
  const short = days.filter((d) => d.posthog < d.job)
  return {
    days,
    short,
    over: days.filter((d) => d.posthog > d.job),
    missing: short.reduce((a, d) => a + d.job - d.posthog, 0),
    loaded: days.reduce((a, d) => a + d.job, 0),
    inPostHog: days.reduce((a, d) => a + d.posthog, 0),
  }
}
