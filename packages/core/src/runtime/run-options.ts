import type { Destination } from '../contracts/destination.js'
import type { EventHook, MappingConfig } from '../contracts/mapping.js'
import type { AnySource } from '../contracts/source.js'
import type { Logger } from '../util/logger.js'
import type { BackoffPolicy, Clock } from './backoff.js'
import type { JobReport } from './report.js'
import type { JobState } from './state.js'

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
      /** Partitions exported and transformed, from the job's state (a resume counts earlier runs' too). */
      partitionsExported: number
      partitionsTransformed: number
      partitionsDone: number
      partitionsTotal: number
      recordsRead: number
      eventsStaged: number
      eventsLoaded: number
      /** Events the destination refused (dead-lettered at load). */
      deadLettered: number
      /** Records the transform rejected (dead-lettered before staging), in transformed partitions. */
      recordsRejected: number
      /** Over the last ten seconds. */
      eventsPerSecond: number
      /** Events staged and not sent, plus an estimate for partitions not staged yet, at that rate. */
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
  /**
   * Warn when another job in the state directory already sent this data set to this destination with
   * other settings (default true). A rejects retry turns it off: it means to send what that job did not.
   */
  checkEarlierJobs?: boolean
  /**
   * Another job in the state directory whose `ctx.once` claims count as made here: a rejects retry is
   * given the original job's, so a user or device the original already identified is not identified
   * again (a second `$identify` under the same uuid with another time, which PostHog keeps as a second row).
   */
  claimsFromJob?: string
  /**
   * Only the claims of these partitions of that job (the ones transformed when the retry was asked for):
   * the job may transform more meanwhile, and a resumed retry must see the claims its first run saw.
   */
  claimsFromPartitions?: readonly string[]
  mapping?: MappingConfig
  /** A user hook applied after the mapping (e.g. `--transform module.js`). */
  transformHook?: EventHook
  /**
   * What identifies the hook's code (the CLI gives a digest of the `--transform` file). Like the mapping,
   * it is part of the job id, so another hook is another job rather than a resume that would apply it to
   * only the events still to come; a job resumed by id refuses a hook that changed since it started.
   */
  transformDigest?: string
  /**
   * Transform on worker threads that share each partition, a batch of lines each. Workers cannot receive
   * functions, so they import the source (the module's default export) and the `transformHook` from these
   * modules. Without it, or with a `transformHook` but no `hookModule`, partitions transform on this thread.
   */
  transformWorkers?: {
    sourceModule: string
    hookModule?: string
    /** Default: the machine's available parallelism, at most 4; 1 means no workers. */
    count?: number
  }
  /** Events per second ceiling (default 1,000: PostHog's managed-migration rate). */
  rate?: number
  /** Optional ceiling on destination requests per minute. */
  requestsPerMinute?: number
  batchSize?: number
  maxBatchBytes?: number
  concurrency?: number
  /**
   * Staged bytes (raw exports and events files) not yet loaded beyond which exporting waits for the load
   * to catch up (default 2 GB): the disk a job holds stays bounded whatever the data set's size.
   */
  maxStagedBytes?: number
  /** Keep each partition's staged export and events files once it is loaded (default: removed). */
  keepStaged?: boolean
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
