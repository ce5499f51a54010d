import { type RecordOutcome, recordStager, type TransformCounts, uncount } from './record-stager.js'
import { SeenSet } from './seen-set.js'
import type { LineWriter } from './staged-file.js'
import { emptyTransformCounts, type PartitionState } from './state.js'
import { bump, type TimeSpan, transformContext, widen } from './transform-context.js'
import {
  type BatchResult,
  type ClaimingRecord,
  claimingRecord,
  RECORD_FIELDS,
  type TransformPool,
} from './transform-pool.js'
import {
  openPartials,
  type PartialTransform,
  rawChunks,
  type TransformStageOptions,
} from './transform-stage.js'

/** Batches queued per worker: one being transformed, one waiting, so no worker waits for the next. */
const BATCHES_PER_WORKER = 2
/**
 * Batches out per worker, answered or not: results are settled in line order, so a worker whose batches are
 * done goes on with more while an earlier batch is still being transformed elsewhere.
 */
const BATCHES_OUT_PER_WORKER = 8

/**
 * Transforms one partition on the pool's workers, a batch of whole lines each, into the same `.partial`
 * files a serial run writes, byte for byte.
 *
 * A worker answers `ctx.once` from what it knows: the committed keys and the claims of this partition
 * confirmed so far. Its "false" is always right (the key was claimed earlier in job order). Its "true" may
 * be wrong when a batch still in flight elsewhere claimed the key first. Results are settled here in line
 * order against the exact sets: a record with a wrong "true" is transformed again on this thread with the
 * serial answers, and its lines replace the worker's. `onceInPartition` is settled the same way.
 *
 * Returns null when a record transformed again asked about keys its first transform did not claim (its
 * answers could change later records): the caller then transforms the partition serially.
 */
export async function fanOutToPartial(
  p: PartitionState,
  opts: TransformStageOptions,
  pool: TransformPool,
): Promise<PartialTransform | null> {
  const { out, rejects } = await openPartials(p, opts.paths)
  const run = pool.startPartition(p)
  const t: TransformCounts = { ...p.transform, ...emptyTransformCounts() }
  const span: TimeSpan = {}
  const claimHashes: number[] = []
  // The exact sets: keys claimed in this partition so far, in job order.
  const local = new SeenSet()
  const inPartition = new SeenSet()
  const redo = redoer(p, opts, local, inPartition, t, out, rejects)
  const pending: Array<{
    result: Promise<BatchResult>
    /** Resolves (never rejects) once `result` has settled, which `done` then says. */
    answered: Promise<void>
    done: boolean
    firstLine: number
    slot: number
    length: number
  }> = []
  let lines = 0
  let settled = true

  const settleHead = async () => {
    const head = pending.shift() as (typeof pending)[number]
    const r = await head.result
    const { raw, events } = pool.slotBytes(r, head.slot, head.length)
    addCounts(t, r.counts)
    const confirmed: number[] = []
    const confirm = (h: number, kind: number) => {
      if (kind === 0) {
        local.add(h)
        claimHashes.push(h)
        confirmed.push(h)
      } else inPartition.add(h)
    }
    // Claiming records kept as the worker made them: their events count in the span if any is redone.
    const kept: number[] = []
    let redone = false
    let byte = 0
    let reject = 0
    let claim = 0
    const count = r.records.length / RECORD_FIELDS
    for (let i = 0; i < count; i++) {
      const end = claim + (r.records[i * RECORD_FIELDS + 1] as number) * 3
      let wrong = false
      for (let c = claim; c < end && !wrong; c += 3) {
        const h = r.claims[c + 1] as number
        wrong = r.claims[c + 2] === 0 ? opts.seen.has(h) || local.has(h) : inPartition.has(h)
      }
      if (!wrong) {
        for (let c = claim; c < end; c += 3) confirm(r.claims[c + 1] as number, r.claims[c + 2] as number)
        kept.push(i)
        claim = end
        continue
      }
      redone = true
      pool.stats.redone++
      const record = claimingRecord(r, i)
      await out.append(events.subarray(byte, record.outByte))
      for (; reject < record.rejectFrom; reject++) await writeLine(rejects, r.rejects[reject] as string)
      byte = record.outByte + record.outBytes
      reject = record.rejectFrom + record.outcome.rejects
      const staged = linesOf(events.subarray(record.outByte, byte))
      uncount(t, record.outcome, staged, r.rejects.slice(record.rejectFrom, reject))
      const again = await redo(
        record,
        r.claims.subarray(claim, end),
        nthLine(raw, record.line - head.firstLine),
      )
      if (!again) {
        pool.releaseSlot(head.slot)
        return false
      }
      for (const [h, kind] of again.claims) confirm(h, kind)
      widen(span, again.outcome.first)
      widen(span, again.outcome.last)
      claim = end
    }
    if (!redone) {
      widen(span, r.span.first)
      widen(span, r.span.last)
    } else {
      // The worker's span may hold events redone away: recomputed from the records that stand.
      widen(span, r.unclaimed.first)
      widen(span, r.unclaimed.last)
      for (const i of kept) {
        const { outByte, outBytes } = claimingRecord(r, i)
        for (const line of linesOf(events.subarray(outByte, outByte + outBytes)))
          widen(span, (JSON.parse(line) as { timestamp: string }).timestamp)
      }
    }
    await out.append(events.subarray(byte))
    for (; reject < r.rejects.length; reject++) await writeLine(rejects, r.rejects[reject] as string)
    pool.confirm(confirmed)
    pool.releaseSlot(head.slot)
    opts.onRecords?.(r.counts.records)
    return true
  }

  // Settles the batches answered at the head of the line, then waits until a worker has room.
  const makeRoom = async () => {
    for (;;) {
      while (pending[0]?.done) if (!(await settleHead())) return false
      if (pending.length < BATCHES_OUT_PER_WORKER * pool.size && pool.hasRoom(BATCHES_PER_WORKER)) return true
      // With nothing of this partition out, only batches of one given up on can free a worker.
      const head = pending[0]
      await (head ? Promise.race([head.answered, pool.nextAnswer()]) : pool.nextAnswer())
    }
  }
  // A batch is the line cut off at the end of the previous chunk, if any, then whole lines of this one.
  const dispatch = async (carry: Buffer | undefined, chunk: Buffer, start: number, end: number) => {
    if (!(await makeRoom())) return false
    if (opts.signal.aborted) throw opts.signal.reason
    const length = (carry?.length ?? 0) + end - start
    const { slot, bytes } = pool.takeSlot(length)
    if (carry) carry.copy(bytes)
    chunk.copy(bytes, carry?.length ?? 0, start, end)
    const count = countLines(bytes)
    if (count === 0) {
      pool.releaseSlot(slot)
      return true
    }
    const firstLine = lines + 1
    lines += count
    const result = pool.transformBatch(run, firstLine, slot, length)
    const entry = { result, answered: Promise.resolve(), done: false, firstLine, slot, length }
    // Awaited in turn by settleHead; a failure meanwhile must not count as unhandled.
    entry.answered = result.then(
      () => {
        entry.done = true
      },
      () => {
        entry.done = true
      },
    )
    pending.push(entry)
    return true
  }

  try {
    settled = await (async () => {
      let carry: Buffer | undefined
      for await (const chunk of rawChunks(p, opts.paths)) {
        // Whole lines, up to `pool.batchBytes` a batch (a longer line is a batch of its own).
        let start = 0
        while (start < chunk.length) {
          const end = Math.min(chunk.length, start + pool.batchBytes)
          let newline = chunk.lastIndexOf(0x0a, end - 1)
          if (newline < start) newline = chunk.indexOf(0x0a, end)
          if (newline === -1) break
          if (!(await dispatch(carry, chunk, start, newline + 1))) return false
          carry = undefined
          start = newline + 1
        }
        if (start < chunk.length)
          carry = carry ? Buffer.concat([carry, chunk.subarray(start)]) : chunk.subarray(start)
      }
      if (carry && !(await dispatch(undefined, carry, 0, carry.length))) return false
      while (pending.length > 0) if (!(await settleHead())) return false
      t.records = lines
      return true
    })()
  } finally {
    // Batches still out when the partition is given up on: their slots are free once they are back.
    for (const { result, slot } of pending.splice(0)) {
      const free = () => pool.releaseSlot(slot)
      result.then(free, free)
    }
    await out.close(settled)
    await rejects.close(settled)
  }
  if (!settled) return null
  return { counts: t, ...span, claimHashes, sha256: out.sha256(), bytes: out.position }
}

/**
 * Transforms a record again on this thread with the serial answers. Its first transform's claims that
 * still stand must be claimed again, and no other key asked: then every later record's answers hold.
 * Returns its outcome and its claims in call order, or null when that is not so.
 */
function redoer(
  p: PartitionState,
  opts: TransformStageOptions,
  local: SeenSet,
  inPartition: SeenSet,
  counts: TransformCounts,
  out: LineWriter,
  rejects: LineWriter,
) {
  const standing = [new Set<number>(), new Set<number>()] as const
  const reclaimed = [new Set<number>(), new Set<number>()] as const
  let claims: Array<[number, number]> = []
  let unexpected = false
  const answer = (h: number, kind: 0 | 1, known: boolean) => {
    if (known || reclaimed[kind].has(h)) return false
    if (!standing[kind].has(h)) {
      unexpected = true
      return false
    }
    reclaimed[kind].add(h)
    claims.push([h, kind])
    return true
  }
  const ctx = transformContext(
    p,
    opts,
    (key) => {
      const h = SeenSet.hash(key)
      return answer(h, 0, opts.seen.has(h) || local.has(h))
    },
    (key) => {
      const h = SeenSet.hashInMemory(key)
      return answer(h, 1, inPartition.has(h))
    },
  )
  const stage = recordStager({ ...opts, ctx, partitionKey: p.key, counts, out, rejects })
  return async (
    record: ClaimingRecord,
    firstClaims: Float64Array,
    line: string,
  ): Promise<{ outcome: RecordOutcome; claims: Array<[number, number]> } | null> => {
    for (const set of [...standing, ...reclaimed]) set.clear()
    for (let i = 0; i < firstClaims.length; i += 3) {
      const h = firstClaims[i + 1] as number
      const kind = firstClaims[i + 2] as 0 | 1
      if (!(kind === 0 ? opts.seen.has(h) || local.has(h) : inPartition.has(h))) standing[kind].add(h)
    }
    claims = []
    unexpected = false
    const outcome = await stage(line, record.line)
    if (unexpected || reclaimed[0].size !== standing[0].size || reclaimed[1].size !== standing[1].size)
      return null
    return { outcome, claims }
  }
}

function addCounts(t: TransformCounts, add: TransformCounts): void {
  t.events += add.events
  t.filtered += add.filtered
  t.rejected += add.rejected
  t.stagedRecords += add.stagedRecords
  t.invalidEvents += add.invalidEvents
  for (const key of ['byName', 'byDay', 'rejectsByCode', 'filteredByReason'] as const)
    for (const [k, n] of Object.entries(add[key])) bump(t[key], k, n)
}

const writeLine = (sink: LineWriter, line: string) => sink.write(line)

/** Non-empty lines, as the serial stage numbers records (a last line may lack its newline). */
function countLines(bytes: Buffer): number {
  let count = 0
  let start = 0
  for (;;) {
    const nl = bytes.indexOf(0x0a, start)
    const end = nl === -1 ? bytes.length : nl
    if (end > start) count++
    if (nl === -1) return count
    start = nl + 1
  }
}

/** The `n`th (from 0) non-empty line of a batch, decoded. */
function nthLine(bytes: Buffer, n: number): string {
  let start = 0
  for (let seen = 0; ; ) {
    const nl = bytes.indexOf(0x0a, start)
    const end = nl === -1 ? bytes.length : nl
    if (end > start && seen++ === n) return bytes.toString('utf8', start, end)
    if (nl === -1) throw new Error(`a batch has no line ${n}`)
    start = nl + 1
  }
}

function linesOf(bytes: Uint8Array): string[] {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8').split('\n').slice(0, -1)
}
