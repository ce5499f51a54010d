import { mkdir, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { EventHook } from '../contracts/mapping.js'
import { validateEvent } from '../contracts/posthog-event.js'
import type { AnySource, TransformContext, TransformResult } from '../contracts/source.js'
import { isFiltered, isRejection } from '../contracts/source.js'
import { utcDay } from '../util/time.js'
import { contentHash, deterministicUuid } from '../util/uuid.js'
import { fsyncDir, sha256File } from './atomic-fs.js'
import { SeenSet } from './seen-set.js'
import { LineWriter, readGzipLineChunks } from './staged-file.js'
import { emptyTransformCounts, type JobPaths, type PartitionState, toPartition } from './state.js'

export interface TransformStageOptions {
  source: AnySource
  identity: string
  /** The parsed connector config and the mapping's connector overrides, handed to `transform`. */
  config?: unknown
  mappingOverrides?: Record<string, unknown>
  paths: JobPaths
  seen: SeenSet
  /** Mapping and user transform, composed; null/[] filters the event. */
  hooks: EventHook[]
  signal: AbortSignal
  onRecords?(n: number): void
}

function bump(counts: Record<string, number>, key: string, by = 1): void {
  counts[key] = (counts[key] ?? 0) + by
}

function applyHooks(events: import('../contracts/posthog-event.js').PostHogEvent[], hooks: EventHook[]) {
  let current = events
  for (const hook of hooks) {
    const next: typeof current = []
    for (const e of current) {
      const out = hook(e)
      if (out == null) continue
      if (Array.isArray(out)) next.push(...out)
      else next.push(out)
    }
    current = next
  }
  return current
}

/**
 * Staged raw records → final wire-form event lines. Written to `.partial` files and renamed only when
 * complete, so a crash mid-transform redoes the partition and never leaves half an events file or a
 * duplicated reject. Seen keys (for `ctx.once`) commit with it.
 */
export async function transformPartition(p: PartitionState, opts: TransformStageOptions): Promise<void> {
  const { paths, source } = opts
  const eventsFile = paths.events(p)
  const rejectsFile = paths.transformRejects(p)
  await mkdir(path.dirname(eventsFile), { recursive: true })
  await mkdir(path.dirname(rejectsFile), { recursive: true })
  await mkdir(paths.seen, { recursive: true })
  const out = await LineWriter.open(`${eventsFile}.partial`)
  const rejects = await LineWriter.open(`${rejectsFile}.partial`)
  const newSeen: number[] = []
  // Keys first seen in this partition; kept local until commit so a redo sees the same state.
  const localSeen = new SeenSet()
  const inPartition = new SeenSet()
  const t = { ...p.transform, ...emptyTransformCounts() }
  let first: string | undefined
  let last: string | undefined
  const partition = toPartition(p)
  const ctx: TransformContext = {
    source: source.name,
    identity: opts.identity,
    config: opts.config,
    mappingOverrides: opts.mappingOverrides ?? {},
    partition,
    uuid: (...parts) => deterministicUuid(source.name, opts.identity, parts.join('\u0000')),
    uuidFromContent: (record) =>
      deterministicUuid(source.name, opts.identity, `content:${contentHash(record)}`),
    once: (key) => {
      const h = SeenSet.hash(key)
      if (opts.seen.has(h) || !localSeen.add(h)) return false
      newSeen.push(h)
      return true
    },
    onceInPartition: (key) => inPartition.add(SeenSet.hash(key)),
    reject: (code, message) => ({ rejected: true, code, message }),
    filter: (reason) => ({ filtered: true, reason }),
  }
  // `record` is always the raw record (so rejects can be re-processed through the transform after a
  // fix); `event` is the invalid event when the validator refused one.
  const writeReject = async (
    line: number,
    code: string,
    message: string,
    record: unknown,
    event?: unknown,
  ) => {
    bump(t.rejectsByCode, code)
    await rejects.write(
      JSON.stringify({
        partition: p.key,
        line,
        stage: 'transform',
        code,
        message,
        record: record ?? null,
        ...(event === undefined ? {} : { event }),
      }),
    )
  }

  let lineNo = 0
  try {
    // An empty export (Amplitude's 404, an empty day) stages a zero-byte file, which gunzip refuses.
    const chunks = p.export.bytes === 0 ? [] : readGzipLineChunks(paths.raw(p))
    for await (const chunk of chunks) {
      for (const line of chunk) {
        if (line === '') continue
        lineNo++
        t.records++
        if ((lineNo & 4095) === 0) {
          if (opts.signal.aborted) throw opts.signal.reason
          opts.onRecords?.(4096)
        }
        let raw: unknown
        try {
          raw = JSON.parse(line)
        } catch {
          t.rejected++
          await writeReject(lineNo, 'unparsable_record', 'staged record is not valid JSON', line)
          continue
        }
        let result: TransformResult
        try {
          result = source.transform(raw, ctx)
        } catch (error) {
          t.rejected++
          await writeReject(lineNo, 'transform_error', `transform threw: ${(error as Error).message}`, raw)
          continue
        }
        if (isRejection(result)) {
          t.rejected++
          await writeReject(lineNo, result.code, result.message, raw)
          continue
        }
        if (isFiltered(result)) {
          t.filtered++
          bump(t.filteredByReason, result.reason)
          continue
        }
        const produced = applyHooks(Array.isArray(result) ? result : [result], opts.hooks)
        if (produced.length === 0) {
          t.filtered++
          bump(t.filteredByReason, Array.isArray(result) && result.length === 0 ? 'no_events' : 'mapping')
          continue
        }
        let staged = 0
        let invalid = 0
        for (const event of produced) {
          const v = validateEvent(event)
          if (!v.ok) {
            invalid++
            await writeReject(lineNo, v.code, v.message, raw, event)
            continue
          }
          const flushing = out.write(v.serialized)
          if (flushing) await flushing
          staged++
          t.events++
          bump(t.byName, event.event)
          bump(t.byDay, utcDay(event.timestamp))
          if (first === undefined || event.timestamp < first) first = event.timestamp
          if (last === undefined || event.timestamp > last) last = event.timestamp
        }
        // Records are accounted once: staged if any of their events was, else rejected.
        if (staged > 0) {
          t.stagedRecords++
          t.invalidEvents += invalid
        } else t.rejected++
      }
    }
    opts.onRecords?.(lineNo & 4095)
  } finally {
    await out.close()
    await rejects.close()
  }
  await writeFile(paths.seenKeys(p), SeenSet.serialize(newSeen))
  await rename(`${eventsFile}.partial`, eventsFile)
  await rename(`${rejectsFile}.partial`, rejectsFile)
  await fsyncDir(path.dirname(eventsFile))
  for (const h of newSeen) opts.seen.add(h)
  p.transform = {
    ...t,
    status: 'done',
    ...(first ? { firstTimestamp: first } : {}),
    ...(last ? { lastTimestamp: last } : {}),
    sha256: await sha256File(eventsFile),
  }
}
