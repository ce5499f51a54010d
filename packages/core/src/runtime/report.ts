import { createReadStream } from 'node:fs'
import { mkdir, open, rename } from 'node:fs/promises'
import path from 'node:path'
import { writeJsonAtomic } from './atomic-fs.js'
import {
  exportSkipped,
  type JobPaths,
  type JobState,
  type LoadCheckpoint,
  loadOrder,
  partitionLoaded,
} from './state.js'

export interface JobReport {
  jobId: string
  source: string
  status: JobState['status']
  destination: string
  startedAt: string
  finishedAt: string
  durationMs: number
  partitions: { total: number; exported: number; transformed: number; loaded: number; failed: number }
  records: { read: number; staged: number; filtered: number; rejected: number }
  events: { staged: number; loaded: number; deadLettered: number; pending: number; invalid: number }
  filteredByReason: Record<string, number>
  rejectsByCode: Record<string, number>
  eventsByName: Record<string, number>
  /** Events staged per UTC day, and those of them already loaded (whole partitions). */
  eventsByDay: Record<string, { staged: number; loaded: number }>
  firstTimestamp: string | null
  lastTimestamp: string | null
  accounting: {
    ok: boolean
    /** read = staged + filtered + rejected (records) */
    records: string
    /** staged events = loaded + dead-lettered + pending */
    events: string
  }
  perPartition: Array<{
    key: string
    kind: string
    export: string
    records: number
    events: number
    filtered: number
    rejected: number
    loaded: number
    deadLettered: number
    error?: string
  }>
  warnings: string[]
  error?: { message: string; hint?: string | undefined; transient?: boolean | undefined }
  rejectsFile: string
}

function add(into: Record<string, number>, from: Record<string, number>) {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v
}

export function buildReport(
  state: JobState,
  checkpoint: LoadCheckpoint,
  paths: JobPaths,
  timing: { startedAt: Date; finishedAt: Date },
  loadRejectCodes: Record<string, number>,
): JobReport {
  let readTransformed = 0
  const r: JobReport['records'] = { read: 0, staged: 0, filtered: 0, rejected: 0 }
  const e: JobReport['events'] = { staged: 0, loaded: 0, deadLettered: 0, pending: 0, invalid: 0 }
  const filteredByReason: Record<string, number> = {}
  const rejectsByCode: Record<string, number> = { ...loadRejectCodes }
  const eventsByName: Record<string, number> = {}
  const eventsByDay: JobReport['eventsByDay'] = {}
  // The time range is the events': profiles' $set events are dated by when each person was created,
  // which would stretch it years back. Over everything only when there are no event partitions.
  let first: string | null = null
  let last: string | null = null
  const ranged = state.partitions.some(isEventPartition) ? isEventPartition : () => true
  const parts = { total: state.partitions.length, exported: 0, transformed: 0, loaded: 0, failed: 0 }
  for (const p of state.partitions) {
    if (p.export.status === 'done') parts.exported++
    if (p.export.status === 'failed') parts.failed++
    // Read so far, a partition part-read when the run stopped included (its progress showed them).
    if (p.export.status !== 'pending') r.read += p.export.records + exportSkipped(p)
    if (p.transform.status !== 'done') continue
    readTransformed += p.export.records + exportSkipped(p)
    parts.transformed++
    r.staged += p.transform.stagedRecords
    r.filtered += p.transform.filtered + exportSkipped(p)
    add(filteredByReason, p.export.skipped ?? {})
    r.rejected += p.transform.rejected
    e.staged += p.transform.events
    e.invalid += p.transform.invalidEvents
    add(filteredByReason, p.transform.filteredByReason)
    add(rejectsByCode, p.transform.rejectsByCode)
    add(eventsByName, p.transform.byName)
    const loadedWhole = p.load.status === 'done'
    if (loadedWhole) parts.loaded++
    for (const [day, n] of Object.entries(p.transform.byDay)) {
      const d = eventsByDay[day] ?? { staged: 0, loaded: 0 }
      eventsByDay[day] = d
      d.staged += n
      if (loadedWhole) d.loaded += n
    }
    e.loaded += partitionLoaded(p, checkpoint)
    e.deadLettered += p.load.deadLettered
    if (!ranged(p)) continue
    if (p.transform.firstTimestamp && (first === null || p.transform.firstTimestamp < first))
      first = p.transform.firstTimestamp
    if (p.transform.lastTimestamp && (last === null || p.transform.lastTimestamp > last))
      last = p.transform.lastTimestamp
  }
  e.pending = e.staged - e.loaded - e.deadLettered
  // Every record of a transformed partition is staged, filtered or rejected; the rest are still on the way.
  const recordsOk =
    readTransformed === r.staged + r.filtered + r.rejected &&
    (state.status !== 'done' || r.read === readTransformed)
  const eventsOk = e.pending >= 0 && (state.status !== 'done' || e.pending === 0)
  return {
    jobId: state.jobId,
    source: state.source,
    status: state.status,
    destination: state.destination,
    startedAt: timing.startedAt.toISOString(),
    finishedAt: timing.finishedAt.toISOString(),
    durationMs: timing.finishedAt.getTime() - timing.startedAt.getTime(),
    partitions: parts,
    records: r,
    events: e,
    filteredByReason,
    rejectsByCode,
    eventsByName,
    eventsByDay: Object.fromEntries(Object.entries(eventsByDay).sort(([a], [b]) => (a < b ? -1 : 1))),
    firstTimestamp: first,
    lastTimestamp: last,
    accounting: {
      ok: recordsOk && eventsOk,
      records: `read ${r.read} = staged ${r.staged} + filtered ${r.filtered} + rejected ${r.rejected}`,
      events: `staged ${e.staged} = loaded ${e.loaded} + dead-lettered ${e.deadLettered} + pending ${e.pending}`,
    },
    perPartition: loadOrder(state.partitions).map((p) => ({
      key: p.key,
      kind: p.kind,
      export: p.export.status,
      records: p.export.records + exportSkipped(p),
      events: p.transform.events,
      filtered: p.transform.filtered + exportSkipped(p),
      rejected: p.transform.rejected,
      loaded: partitionLoaded(p, checkpoint),
      deadLettered: p.load.deadLettered,
      ...(p.export.error ? { error: p.export.error } : {}),
    })),
    warnings: state.warnings,
    ...(state.error ? { error: state.error } : {}),
    rejectsFile: paths.rejects,
  }
}

/**
 * Rebuilds `rejects.jsonl` from the per-partition reject files (each written once, atomically or
 * deduplicated by line), so the job-level file holds every dead letter exactly once.
 */
export async function assembleRejects(state: JobState, paths: JobPaths): Promise<Record<string, number>> {
  await mkdir(path.dirname(paths.rejects), { recursive: true })
  const tmp = `${paths.rejects}.tmp`
  const out = await open(tmp, 'w')
  const loadCodes: Record<string, number> = {}
  try {
    for (const p of loadOrder(state.partitions)) {
      if (p.transform.status === 'done') await copyInto(paths.transformRejects(p), out)
      const seen = new Set<number>()
      for await (const row of linesOf(paths.loadRejects(p))) {
        try {
          const parsed = JSON.parse(row) as { line: number; code: string }
          if (seen.has(parsed.line)) continue
          seen.add(parsed.line)
          loadCodes[parsed.code] = (loadCodes[parsed.code] ?? 0) + 1
          await out.write(`${row}\n`)
        } catch {
          // torn line from a crash; its event was resent and dead-lettered again
        }
      }
    }
    await out.sync()
  } finally {
    await out.close()
  }
  await rename(tmp, paths.rejects)
  return loadCodes
}

async function copyInto(file: string, out: import('node:fs/promises').FileHandle) {
  try {
    for await (const chunk of createReadStream(file)) await out.write(chunk as Buffer)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
}

async function* linesOf(file: string): AsyncIterable<string> {
  const { createInterface } = await import('node:readline')
  let stream: ReturnType<typeof createReadStream>
  try {
    stream = createReadStream(file, 'utf8')
    for await (const line of createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })) {
      if (line) yield line
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
}

export async function writeReport(paths: JobPaths, report: JobReport): Promise<void> {
  await writeJsonAtomic(paths.report, report)
}

/** A partition of events (kind `events` or none), as opposed to profiles and other kinds a source defines. */
export function isEventPartition(p: { kind?: string | undefined }): boolean {
  return p.kind === undefined || p.kind === 'events'
}
