import { z } from 'zod'

/**
 * The shape of `--json` output: one JSON object per line on stdout. Progress lines are core's
 * `ProgressEvent`s as they happen; the last line is a `summary` (or an `error`). Objects may gain fields.
 */
const Counts = z.record(z.string(), z.number())

export const JsonReport = z.looseObject({
  jobId: z.string(),
  source: z.string(),
  status: z.string(),
  destination: z.string(),
  durationMs: z.number(),
  partitions: z.looseObject({ total: z.number(), loaded: z.number(), failed: z.number() }),
  records: z.looseObject({
    read: z.number(),
    staged: z.number(),
    filtered: z.number(),
    rejected: z.number(),
  }),
  events: z.looseObject({
    staged: z.number(),
    loaded: z.number(),
    deadLettered: z.number(),
    pending: z.number(),
  }),
  filteredByReason: Counts,
  rejectsByCode: Counts,
  eventsByDay: z.record(z.string(), z.object({ staged: z.number(), loaded: z.number() })),
  firstTimestamp: z.string().nullable(),
  lastTimestamp: z.string().nullable(),
  rejectsFile: z.string(),
})

export const JsonLine = z.discriminatedUnion('type', [
  z.looseObject({
    type: z.literal('plan'),
    jobId: z.string(),
    jobDir: z.string(),
    resumed: z.boolean(),
    partitions: z.number(),
    estimate: z.object({ seconds: z.number(), note: z.string() }).optional(),
  }),
  z.looseObject({
    type: z.literal('partition'),
    stage: z.enum(['export', 'transform', 'load']),
    key: z.string(),
    status: z.enum(['started', 'done', 'failed', 'split']),
    detail: z.string().optional(),
  }),
  z.looseObject({
    type: z.literal('retry'),
    stage: z.enum(['export', 'load']),
    message: z.string(),
    attempt: z.number(),
    delayMs: z.number(),
  }),
  z.looseObject({ type: z.literal('warning'), message: z.string() }),
  z.looseObject({
    type: z.literal('stats'),
    partitionsExported: z.number(),
    partitionsTransformed: z.number(),
    partitionsDone: z.number(),
    partitionsTotal: z.number(),
    recordsRead: z.number(),
    eventsStaged: z.number(),
    eventsLoaded: z.number(),
    deadLettered: z.number(),
    recordsRejected: z.number(),
    eventsPerSecond: z.number(),
    etaSeconds: z.number().nullable(),
    rate: z.number(),
  }),
  z.looseObject({ type: z.literal('done'), status: z.string(), report: JsonReport }),
  z.looseObject({
    type: z.literal('summary'),
    jobId: z.string(),
    jobDir: z.string(),
    status: z.enum(['planned', 'running', 'done', 'failed', 'interrupted', 'incomplete']),
    exitCode: z.number(),
    report: JsonReport,
    /** Present when the job can be continued (interrupted, failed, incomplete). */
    resumeCommand: z.string().optional(),
    /** With --dry-run: where the events were written. */
    outputFile: z.string().optional(),
  }),
  z.looseObject({
    type: z.literal('error'),
    message: z.string(),
    hint: z.string().optional(),
    exitCode: z.number(),
  }),
])
export type JsonLine = z.infer<typeof JsonLine>
