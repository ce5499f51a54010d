import { rename, rm } from 'node:fs/promises'
import { validateEvent } from '../contracts/posthog-event.js'
import { isFiltered, isRejection, type TransformResult } from '../contracts/source.js'
import { utcDay } from '../util/time.js'
import { SeenSet } from './seen-set.js'
import { ByteCursor, LineCursor, LineWriter, readPlainLineChunks } from './staged-file.js'
import type { PartitionState } from './state.js'
import { applyHooks, bump, type TimeSpan, transformContext, widen } from './transform-context.js'
import {
  type ClaimingRecord,
  claimingFile,
  type PartialTransform,
  type TransformStageOptions,
} from './transform-stage.js'

/**
 * Settles a partition transformed while an earlier one was still in flight (on another worker thread).
 *
 * `ctx.once(key)` must answer true only at a key's first sighting in job order. A "false" given during the
 * transform is always right: the key was in a committed (so earlier) partition or earlier in this one. A
 * "true" is wrong when an earlier partition, committed since, claimed the same key. Only the records that
 * got such a "true" are transformed again, with the answers a serial run would have given, and their lines
 * replaced in the events file; the result is byte for byte what a serial run writes.
 *
 * The partition's first/last timestamps are recomputed from the records that claimed nothing (tracked
 * during the transform), the claiming records that stand, and the records redone.
 *
 * Returns the settled transform, or undefined when the partition must be transformed again whole: a record
 * to redo was rejected or filtered, or its second transform asked `once` about keys the first did not.
 */
export async function settleClaims(
  p: PartitionState,
  transformed: PartialTransform,
  opts: TransformStageOptions,
): Promise<PartialTransform | undefined> {
  const { seen } = opts
  const { claimLines, claimHashes } = transformed
  const redo = new Set<number>()
  for (let i = 0; i < claimHashes.length; i++)
    if (seen.has(claimHashes[i] as number)) redo.add(claimLines[i] as number)
  if (redo.size === 0) return transformed
  if (!opts.speculative) return undefined // no records kept aside: cannot happen in a serial run

  // The claims that stand, each with the record that made it, and how many each record to redo made.
  const standing = new Map<number, number>()
  const standingPerLine = new Map<number, number>()
  for (let i = 0; i < claimHashes.length; i++) {
    const h = claimHashes[i] as number
    const line = claimLines[i] as number
    if (seen.has(h)) continue
    standing.set(h, line)
    if (redo.has(line)) standingPerLine.set(line, (standingPerLine.get(line) ?? 0) + 1)
  }
  // One context for every record redone (a connector may cache per context); these say which record.
  let line = 0
  const reclaimed = new Set<number>()
  let unexpected = false
  let replay: boolean[] = []
  let replayed = 0
  const ctx = transformContext(
    p,
    opts,
    (key) => {
      const h = SeenSet.hash(key)
      if (seen.has(h)) return false
      const claimedAt = standing.get(h)
      // A key this record did not ask about the first time: its answer may change a later record.
      if (claimedAt === undefined || claimedAt > line) unexpected = true
      if (claimedAt !== line || reclaimed.has(h)) return false
      reclaimed.add(h)
      return true
    },
    () => {
      const answer = replay[replayed++]
      if (answer === undefined) unexpected = true
      return answer ?? false
    },
  )
  const counts = structuredClone(transformed.counts)
  // Recomputed from the parts: records that claimed nothing, claiming records kept, records redone.
  const span: TimeSpan = { ...transformed.unclaimed }
  const eventsFile = `${opts.paths.events(p)}.partial`
  const settledFile = `${eventsFile}.settled`
  const events = new ByteCursor(eventsFile)
  const claiming = new LineCursor(readPlainLineChunks(claimingFile(opts.paths, p)))
  const out = await LineWriter.open(settledFile, 'w', { sha256: true })
  let complete = false
  try {
    // Everything between the records to redo is copied as bytes, a megabyte at a time: no line splitting.
    const copyUpTo = (end: number) => events.forEachUpTo(end, (bytes) => out.append(bytes))
    // The events a record staged the first time, to take them out of the counts.
    const eventsOf = async (record: ClaimingRecord) => {
      const lines = (await events.take(record.outBytes)).toString('utf8').split('\n').slice(0, -1)
      if (lines.length !== record.outCount)
        throw new Error(`${eventsFile} holds ${lines.length} events for line ${line}, not ${record.outCount}`)
      return lines.map((l) => JSON.parse(l) as { event: string; timestamp: string })
    }
    // The kept-aside record of `line` and its raw line; the file holds the claiming records in line order.
    const keptAside = async (): Promise<{ record: ClaimingRecord; raw: Buffer }> => {
      for (;;) {
        const meta = await claiming.next()
        const raw = await claiming.next()
        if (meta === undefined || raw === undefined) throw new Error(`no record kept aside for line ${line}`)
        const record = JSON.parse(meta.toString('utf8')) as ClaimingRecord
        if (record.line === line) return { record, raw }
        // A claiming record that stands as it is.
        widen(span, record.first)
        widen(span, record.last)
      }
    }
    for (line of [...redo].sort((a, b) => a - b)) {
      const { record, raw } = await keptAside()
      if (!record.clean) return undefined
      await copyUpTo(record.outByte)
      for (const { event, timestamp } of await eventsOf(record)) {
        counts.events--
        bump(counts.byName, event, -1)
        bump(counts.byDay, utcDay(timestamp), -1)
      }
      reclaimed.clear()
      unexpected = false
      replay = record.inPartition
      replayed = 0
      let result: TransformResult
      try {
        result = opts.source.transform(JSON.parse(raw.toString('utf8')), ctx)
      } catch {
        return undefined
      }
      if (isRejection(result) || isFiltered(result)) return undefined
      const produced = applyHooks(Array.isArray(result) ? result : [result], opts.hooks)
      if (produced.length === 0) return undefined
      const lines: string[] = []
      for (const event of produced) {
        const v = validateEvent(event)
        if (!v.ok) return undefined
        lines.push(v.serialized)
      }
      // Every key it claims is one it claimed before (checked above), so equal counts mean the same keys.
      if (unexpected || reclaimed.size !== (standingPerLine.get(line) ?? 0) || replayed !== replay.length)
        return undefined
      for (const [i, serialized] of lines.entries()) {
        const event = produced[i] as (typeof produced)[number]
        const flushing = out.write(serialized)
        if (flushing) await flushing
        counts.events++
        bump(counts.byName, event.event)
        bump(counts.byDay, utcDay(event.timestamp))
        widen(span, event.timestamp)
      }
    }
    await copyUpTo(Number.POSITIVE_INFINITY)
    for (;;) {
      const meta = await claiming.next()
      if (meta === undefined || (await claiming.next()) === undefined) break
      const record = JSON.parse(meta.toString('utf8')) as ClaimingRecord
      widen(span, record.first)
      widen(span, record.last)
    }
    complete = true
  } finally {
    await out.close(complete)
    await events.close()
    await claiming.close()
    if (!complete) await rm(settledFile, { force: true })
  }
  await rename(settledFile, eventsFile)
  const kept = claimHashes.map((h, i) => (seen.has(h) ? -1 : i)).filter((i) => i >= 0)
  return {
    counts,
    ...span,
    claimLines: kept.map((i) => claimLines[i] as number),
    claimHashes: kept.map((i) => claimHashes[i] as number),
    sha256: out.sha256(),
    bytes: out.position,
  }
}
