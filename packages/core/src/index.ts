export * from './contracts/config.js'
export * from './contracts/destination.js'
export * from './contracts/errors.js'
export * from './contracts/mapping.js'
export * from './contracts/posthog-event.js'
export * from './contracts/reject-codes.js'
export * from './contracts/source.js'
export { createFileDestination, FileDestinationConfig } from './destinations/file.js'
export {
  appHost,
  countEventsByDay,
  type DailyCountsOptions,
  dailyCountsQuery,
} from './destinations/posthog/daily-counts.js'
export {
  createPostHogDestination,
  EU_INGESTION_HOST,
  PostHogDestinationConfig,
  type PostHogDestinationContext,
  type PostHogDestinationOptions,
  postHogDestination,
  type ResolvedHost,
  resolveHost,
  US_INGESTION_HOST,
} from './destinations/posthog/index.js'
export { sha256File } from './runtime/atomic-fs.js'
export {
  type BackoffPolicy,
  backoffDelay,
  type Clock,
  DEFAULT_BACKOFF,
  systemClock,
} from './runtime/backoff.js'
export { classifySourceError, createSourceHttp, parseRetryAfter } from './runtime/http.js'
export { type JobSummary, jobsDir, listJobs, loadJob } from './runtime/jobs.js'
export { RateLimiter, WindowBudget } from './runtime/rate-limiter.js'
export { isEventPartition, type JobReport } from './runtime/report.js'
export { createReprocessSource } from './runtime/reprocess.js'
export {
  DEFAULT_RATE,
  jobIdFor,
  type ProgressEvent,
  type RunImportOptions,
  type RunResult,
  runImport,
  UNPACED_RATE,
} from './runtime/run-import.js'
export {
  exportSkipped,
  JobPaths,
  type JobState,
  type LoadCheckpoint,
  loadOrder,
  type PartitionState,
  partitionLoaded,
  readState,
} from './runtime/state.js'
export { type DayCount, type Verification, verifyJob } from './runtime/verify-job.js'
export { expandFiles, fileIdentity } from './util/files.js'
export { createLogger, type Logger, type LogLevel, type LogSink, silentLogger } from './util/logger.js'
export { createRedactor } from './util/redact.js'
export {
  compactDate,
  EPOCH_MS_THRESHOLD,
  epochToMillis,
  isCalendarDay,
  isIsoUtcTimestamp,
  NOT_A_CALENDAR_DAY,
  sqlDateTimeToIso,
  toIsoTimestamp,
  utcDay,
} from './util/time.js'
export { isUtcZone, zonedToUtc, zoneOffset } from './util/timezone.js'
export { canonicalJson, contentHash, deterministicUuid, isUuid, uuidV5 } from './util/uuid.js'
