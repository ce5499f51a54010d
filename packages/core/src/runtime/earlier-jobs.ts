import path from 'node:path'
import { listJobs } from './jobs.js'
import { JobPaths, type JobState, readState } from './state.js'

/** A value as a warning shows it: short, and `unset` for a key one config lacks. */
function shown(value: unknown): string {
  if (value === undefined) return 'unset'
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  return text.length > 40 ? `${text.slice(0, 37)}...` : text
}

/** The public config keys whose values differ, start and end aside (a range is compared by overlap). */
function differences(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter(
    (k) => k !== 'start' && k !== 'end',
  )
  return keys
    .filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]))
    .map((k) => `${k} ${shown(a[k])} → ${shown(b[k])}`)
}

/** Whether two configs' [start, end] ranges share a moment; true when either has no readable range. */
function rangesOverlap(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const time = (v: unknown) => (typeof v === 'string' ? Date.parse(v) : Number.NaN)
  const [as, ae, bs, be] = [time(a.start), time(a.end), time(b.start), time(b.end)]
  if ([as, ae, bs, be].some(Number.isNaN)) return true
  return as <= be && bs <= ae
}

/**
 * Warnings for a new job whose data set another job in the same state directory has already sent to the
 * same destination, over an overlapping range, with other settings. Both are real jobs, so their events
 * do not share uuids where the settings change them, and where they change an event's time, name or
 * person PostHog keeps both copies: a user who re-runs with one corrected flag would duplicate the data
 * set without a word. (The same command resumes its own job, which is never counted here.)
 */
export async function earlierImportsOfTheSameData(jobsParent: string, state: JobState): Promise<string[]> {
  const warnings: string[] = []
  for (const job of await listJobs(jobsParent)) {
    if (job.jobId === state.jobId || job.events.loaded === 0) continue
    if (job.source !== state.source || job.destination !== state.destination) continue
    const earlier = await readState(new JobPaths(job.jobDir)).catch(() => undefined)
    if (!earlier || earlier.identity !== state.identity || !rangesOverlap(earlier.config, state.config))
      continue
    const diff = differences(earlier.config, state.config)
    const cause =
      diff.length > 0 ? `settings differ: ${diff.join(', ')}` : 'the mapping or the --transform differ'
    warnings.push(
      `job ${job.jobId} already sent ${job.events.loaded.toLocaleString('en-US')} events of this data set to ${state.destination}, with other settings (${cause}). Events this job changes (their time, name or person) will be in PostHog twice: if that job was wrong, read "Changing settings after an import" in docs/migrating.md before going on`,
    )
  }
  return warnings
}

/** The state directory a job directory sits in (`<stateDir>/jobs/<id>`). */
export const stateDirOf = (jobDir: string) => path.dirname(path.dirname(jobDir))
