import path from 'node:path'
import type { AnySource } from '../contracts/source.js'
import { listJobs } from './jobs.js'
import { JobPaths, type JobState, readState } from './state.js'

/** A value as a warning shows it: short, and `unset` for a key one config lacks. */
function shown(value: unknown): string {
  if (value === undefined) return 'unset'
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  return text.length > 40 ? `${text.slice(0, 37)}...` : text
}

/** The keys among `keys` whose values differ between two public configs. */
function differences(
  a: Record<string, unknown>,
  b: Record<string, unknown>,
  keys: readonly string[],
): string[] {
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
 * Warnings for a new job over a data set another job in the same state directory already sent to the same
 * destination and project, over an overlapping range, with a setting that changes events' time, name or
 * person: the connector's `eventShapingConfig` fields, the mapping or the `--transform` module. PostHog keeps one copy of an
 * event only when uuid, name, timestamp and person all match, so such a re-run with one corrected flag
 * would duplicate the data set without a word. Nothing is said for other changes (a rate, a window, a
 * filter, a range), which leave every event as it was, nor for sources without an `identity` (files:
 * their data set is not named), nor for the same command (it resumes its own job). Advisory: a job
 * directory it cannot read is passed over.
 */
export async function earlierImportsOfTheSameData(
  jobsParent: string,
  state: JobState,
  source: AnySource,
): Promise<string[]> {
  if (!source.identity || state.target === undefined) return []
  const shaping = source.eventShapingConfig ?? []
  const warnings: string[] = []
  const jobs = await listJobs(jobsParent).catch(() => [])
  for (const job of jobs) {
    if (job.jobId === state.jobId || job.events.loaded === 0) continue
    if (job.source !== state.source || job.destination !== state.destination) continue
    const earlier = await readState(new JobPaths(job.jobDir)).catch(() => undefined)
    if (!earlier || earlier.identity !== state.identity || earlier.target !== state.target) continue
    if (!rangesOverlap(earlier.config, state.config)) continue
    const causes = differences(earlier.config, state.config, shaping)
    if (earlier.mapping !== undefined && earlier.mapping !== state.mapping) causes.push('the mapping file')
    if (earlier.transform !== undefined && earlier.transform !== state.transform)
      causes.push('the --transform module')
    if (causes.length === 0) continue
    warnings.push(
      `job ${job.jobId} already sent ${job.events.loaded.toLocaleString('en-US')} events of this data set to ${state.destination}, with other settings (${causes.join(', ')}). Events this job changes (their time, name or person) will be in PostHog twice: if that job was wrong, read "Changing settings after an import" in docs/migrating.md before going on`,
    )
  }
  return warnings
}

/** The state directory a job directory sits in (`<stateDir>/jobs/<id>`). */
export const stateDirOf = (jobDir: string) => path.dirname(path.dirname(jobDir))
