import { readdir } from 'node:fs/promises'
import path from 'node:path'
import { ConfigError } from '../contracts/errors.js'
import { readJsonIfExists } from './atomic-fs.js'
import { jobLockHeld } from './job-lock.js'
import type { JobReport } from './report.js'
import {
  JobPaths,
  type JobState,
  type LoadCheckpoint,
  partitionLoaded,
  readLoadCheckpoint,
  readState,
} from './state.js'

export interface JobSummary {
  jobId: string
  source: string
  status: JobState['status']
  destination: string
  createdAt: string
  updatedAt: string
  partitions: { total: number; loaded: number; failed: number }
  events: { staged: number; loaded: number; deadLettered: number }
  /** Records the transform rejected (each in the rejects file with its reason). */
  rejectedRecords: number
  jobDir: string
}

export function jobsDir(stateDir = '.ph-import'): string {
  return path.resolve(stateDir, 'jobs')
}

/** Every job in a state directory, newest first: what `ph-import jobs` lists. */
export async function listJobs(stateDir?: string): Promise<JobSummary[]> {
  const dir = jobsDir(stateDir)
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return []
  }
  const out: JobSummary[] = []
  for (const name of names) {
    const paths = new JobPaths(path.join(dir, name))
    const state = await readState(paths).catch(() => undefined)
    if (!state) continue
    const checkpoint = await readLoadCheckpoint(paths)
    let loaded = 0
    let staged = 0
    let dead = 0
    let rejected = 0
    for (const p of state.partitions) {
      rejected += p.transform.rejected
      staged += p.transform.events
      dead += p.load.deadLettered
      loaded += partitionLoaded(p, checkpoint)
    }
    out.push({
      jobId: state.jobId,
      source: state.source,
      status: await currentStatus(state, paths),
      destination: state.destination,
      createdAt: state.createdAt,
      updatedAt: state.updatedAt,
      partitions: {
        total: state.partitions.length,
        loaded: state.partitions.filter((p) => p.load.status === 'done').length,
        failed: state.partitions.filter((p) => p.export.status === 'failed').length,
      },
      events: { staged, loaded, deadLettered: dead },
      rejectedRecords: rejected,
      jobDir: paths.dir,
    })
  }
  return out.sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : -1))
}

/** One job's state and last report; a unique id prefix is enough. */
export async function loadJob(
  stateDir: string | undefined,
  idOrPrefix: string,
): Promise<{ state: JobState; report: JobReport | undefined; paths: JobPaths; checkpoint: LoadCheckpoint }> {
  const jobs = await listJobs(stateDir)
  const matches = jobs.filter((j) => j.jobId === idOrPrefix || j.jobId.startsWith(idOrPrefix))
  const exact = matches.find((j) => j.jobId === idOrPrefix)
  const match = exact ?? (matches.length === 1 ? matches[0] : undefined)
  if (!match) {
    throw new ConfigError(
      matches.length > 1
        ? `job id ${idOrPrefix} is ambiguous: ${matches.map((m) => m.jobId).join(', ')}`
        : `no job ${idOrPrefix} in ${jobsDir(stateDir)}`,
      { hint: 'run `ph-import jobs` to list jobs (and pass --state-dir if you used one)' },
    )
  }
  const paths = new JobPaths(match.jobDir)
  const state = (await readState(paths))!
  state.status = await currentStatus(state, paths)
  const report = await readJsonIfExists<JobReport>(paths.report)
  return { state, report, paths, checkpoint: await readLoadCheckpoint(paths) }
}

/**
 * The status to show: a job saved as running whose run is gone (killed, or the machine went down) is
 * interrupted, as a run stopped with Ctrl-C is; monitoring that polls `jobs --json` must not see it
 * running for ever. What is on disk is left as it is: the next run of the job rewrites it.
 */
async function currentStatus(state: JobState, paths: JobPaths): Promise<JobState['status']> {
  if (state.status !== 'running') return state.status
  return (await jobLockHeld(paths.lock)) ? 'running' : 'interrupted'
}
