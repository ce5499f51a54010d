import path from 'node:path'
import { z } from 'zod'
import type { JsonValue, Partition } from '../contracts/source.js'
import { readJsonIfExists, writeJsonAtomic } from './atomic-fs.js'

const Json: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(Json), z.record(z.string(), Json)]),
)

export const Counts = z.record(z.string(), z.number())

export const PartitionState = z.object({
  key: z.string(),
  kind: z.string(),
  phase: z.number(),
  order: z.string(),
  params: z.record(z.string(), Json),
  /** Base name of this partition's staged files. */
  file: z.string(),
  export: z.object({
    status: z.enum(['pending', 'partial', 'done', 'failed']),
    attempts: z.number(),
    records: z.number(),
    /** Records read but left out by the export (`ExportPage.skipped`), by reason: read and filtered. */
    skipped: z.record(z.string(), z.number()).optional(),
    bytes: z.number(),
    cursor: Json.optional(),
    sha256: z.string().optional(),
    error: z.string().optional(),
  }),
  transform: z.object({
    status: z.enum(['pending', 'done']),
    records: z.number(),
    events: z.number(),
    filtered: z.number(),
    /** Records rejected whole (unparsable, refused by the connector, or every event invalid). */
    rejected: z.number(),
    /** Records that staged at least one event. */
    stagedRecords: z.number(),
    /** Invalid events of records that still staged others (each in rejects too). */
    invalidEvents: z.number(),
    byName: Counts,
    byDay: Counts,
    rejectsByCode: Counts,
    filteredByReason: Counts,
    firstTimestamp: z.string().optional(),
    lastTimestamp: z.string().optional(),
    sha256: z.string().optional(),
    /** Size of the events file: a resume checks it before sending from the file (older jobs lack it). */
    bytes: z.number().optional(),
  }),
  load: z.object({
    status: z.enum(['pending', 'done']),
    loaded: z.number(),
    deadLettered: z.number(),
  }),
})
export type PartitionState = z.infer<typeof PartitionState>

export const JobStatus = z.enum(['planned', 'running', 'done', 'failed', 'interrupted', 'incomplete'])
export type JobStatus = z.infer<typeof JobStatus>

export const JobState = z.object({
  version: z.literal(1),
  jobId: z.string(),
  source: z.string(),
  identity: z.string(),
  /** The connector config without secrets. */
  config: z.record(z.string(), z.unknown()),
  destination: z.string(),
  /** The destination's `target()` (a digest telling apart projects behind one host), when it has one. */
  target: z.string().optional(),
  /** A digest of the job's mapping file (none: no mapping), to tell a re-run with another mapping. */
  mapping: z.string().optional(),
  /** A digest of the `--transform` module (none: no module), to tell a re-run or resume with another. */
  transform: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  status: JobStatus,
  runs: z.number(),
  /** Why the job failed; `transient` when it gave up on a failure that may pass (run it again later). */
  error: z
    .object({ message: z.string(), hint: z.string().optional(), transient: z.boolean().optional() })
    .optional(),
  warnings: z.array(z.string()),
  partitions: z.array(PartitionState),
})
export type JobState = z.infer<typeof JobState>

/** The load frontier: for partitions partly loaded, the number of leading events acknowledged. */
export const LoadCheckpoint = z.object({
  lines: z.record(z.string(), z.number()),
  updatedAt: z.string(),
})
export type LoadCheckpoint = z.infer<typeof LoadCheckpoint>

/** Zeroed transform counters: a new partition, or a partition about to be (re)transformed. */
export function emptyTransformCounts() {
  return {
    records: 0,
    events: 0,
    filtered: 0,
    rejected: 0,
    stagedRecords: 0,
    invalidEvents: 0,
    byName: {} as Record<string, number>,
    byDay: {} as Record<string, number>,
    rejectsByCode: {} as Record<string, number>,
    filteredByReason: {} as Record<string, number>,
  }
}

export function newPartitionState(p: Partition, index: number): PartitionState {
  return {
    key: p.key,
    kind: p.kind ?? 'events',
    phase: p.phase ?? (p.kind === 'profiles' ? 0 : 1),
    order: p.order ?? String(index).padStart(8, '0'),
    params: p.params,
    file: fileBase(p.key),
    export: { status: 'pending', attempts: 0, records: 0, bytes: 0 },
    transform: { status: 'pending', ...emptyTransformCounts() },
    load: { status: 'pending', loaded: 0, deadLettered: 0 },
  }
}

/** A filesystem-safe, unique, readable file base for a partition key. */
export function fileBase(key: string): string {
  const slug = key.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 60)
  let h = 2166136261
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619) >>> 0
  return `${slug}-${h.toString(36)}`
}

export function toPartition(p: PartitionState): Partition {
  return { key: p.key, kind: p.kind, phase: p.phase, order: p.order, params: p.params }
}

/** Load order: phase first (profiles before events), then the source's order (oldest first). */
export function loadOrder(partitions: readonly PartitionState[]): PartitionState[] {
  return [...partitions].sort(
    (a, b) => a.phase - b.phase || (a.order < b.order ? -1 : a.order > b.order ? 1 : 0),
  )
}

export class JobPaths {
  constructor(readonly dir: string) {}
  get state() {
    return path.join(this.dir, 'state.json')
  }
  get load() {
    return path.join(this.dir, 'load.json')
  }
  get report() {
    return path.join(this.dir, 'report.json')
  }
  get rejects() {
    return path.join(this.dir, 'rejects.jsonl')
  }
  get seen() {
    return path.join(this.dir, 'seen')
  }
  get budget() {
    return path.join(this.dir, 'budget.json')
  }
  get lock() {
    return path.join(this.dir, 'lock')
  }
  raw(p: PartitionState) {
    return path.join(this.dir, 'raw', `${p.file}.jsonl.gz`)
  }
  events(p: PartitionState) {
    return path.join(this.dir, 'events', `${p.file}.jsonl`)
  }
  transformRejects(p: PartitionState) {
    return path.join(this.dir, 'rejects', `${p.file}.transform.jsonl`)
  }
  loadRejects(p: PartitionState) {
    return path.join(this.dir, 'rejects', `${p.file}.load.jsonl`)
  }
  seenKeys(p: PartitionState) {
    return path.join(this.dir, 'seen', `${p.file}.keys`)
  }
  scratch(p: PartitionState) {
    return path.join(this.dir, 'scratch', p.file)
  }
}

export async function readState(paths: JobPaths): Promise<JobState | undefined> {
  const raw = await readJsonIfExists<unknown>(paths.state)
  return raw === undefined ? undefined : JobState.parse(raw)
}

export async function saveState(paths: JobPaths, state: JobState): Promise<void> {
  state.updatedAt = new Date().toISOString()
  await writeJsonAtomic(paths.state, state)
}

/**
 * Events of a partition that PostHog has acknowledged: its final count once loaded, else the lines the
 * load checkpoint has passed, less those dead-lettered. Every command that shows "loaded" uses this, so a
 * summary, `jobs` and `jobs show` agree after an interrupted run.
 */
export function partitionLoaded(p: PartitionState, checkpoint: LoadCheckpoint): number {
  return p.load.status === 'done'
    ? p.load.loaded
    : Math.max(0, (checkpoint.lines[p.key] ?? 0) - p.load.deadLettered)
}

/** Records a partition's export read and left out by request (counted as read and filtered). */
export function exportSkipped(p: PartitionState): number {
  let n = 0
  for (const count of Object.values(p.export.skipped ?? {})) n += count
  return n
}

export async function readLoadCheckpoint(paths: JobPaths): Promise<LoadCheckpoint> {
  const raw = await readJsonIfExists<unknown>(paths.load)
  return raw === undefined ? { lines: {}, updatedAt: new Date(0).toISOString() } : LoadCheckpoint.parse(raw)
}
