import { secretValues } from '../contracts/config.js'
import type { EventHook } from '../contracts/mapping.js'
import { type PostHogEvent, validateEvent } from '../contracts/posthog-event.js'
import type { AnySource, TransformContext, TransformResult } from '../contracts/source.js'
import { isFiltered, isRejection } from '../contracts/source.js'
import { createRedactor } from '../util/redact.js'
import { utcDay } from '../util/time.js'
import type { emptyTransformCounts } from './state.js'
import { applyHooks, bump, widen } from './transform-context.js'

export type TransformCounts = ReturnType<typeof emptyTransformCounts>

/** Where a record's lines go: the `.partial` files, or a worker's buffers. */
export interface LineSink {
  /** Returns a promise only when the sink must flush first: await it before writing anything else. */
  write(line: string): Promise<void> | undefined
  readonly position: number
}

/** What became of one record, enough to take it out of the counts again if it must be redone. */
export interface RecordOutcome {
  /** Events staged, of `produced` (the rest were dead-lettered by the validator). */
  staged: number
  produced: number
  /** Reject lines written for it. */
  rejects: number
  /** Set when it was filtered: the reason counted. */
  filtered: string | undefined
  /** Its staged events' earliest and latest timestamps. */
  first: string | undefined
  last: string | undefined
}

/** Every field set from the start: one object shape for every record, which keeps the hot path fast. */
const noOutcome = (): RecordOutcome => ({
  staged: 0,
  produced: 0,
  rejects: 0,
  filtered: undefined,
  first: undefined,
  last: undefined,
})

export interface RecordStagerDeps {
  source: AnySource
  ctx: TransformContext
  hooks: EventHook[]
  partitionKey: string
  counts: TransformCounts
  out: LineSink
  rejects: LineSink
}

/**
 * Raw line → staged event lines and reject lines, counted. Synchronous unless a write must wait for its
 * sink to flush: an await per record is measurable at a few microseconds a record. Records are accounted
 * once: staged if any of their events was, else rejected or filtered. `counts`, `out` and `rejects` are
 * read from `deps` at each record, so a worker can swap them for each batch.
 */
export function recordStager(
  deps: RecordStagerDeps,
): (line: string, lineNo: number) => RecordOutcome | Promise<RecordOutcome> {
  const { source, ctx, hooks, partitionKey } = deps
  let { counts: t, out, rejects } = deps
  let lineNo = 0
  let tally = noOutcome()
  // A thrown message can carry the config's secrets (a connector that puts its key in an error): made
  // once, when a record first throws, from the config every stager (worker or not) has.
  let redact: ((text: string) => string) | undefined
  const thrown = (prefix: string, error: unknown) => {
    redact ??= createRedactor(secretValues(source.config, (ctx.config ?? {}) as Record<string, unknown>))
    return redact(`${prefix}: ${(error as Error)?.message ?? String(error)}`)
  }
  // `record` is always the raw record (so rejects can be re-processed through the transform after a fix);
  // `event` is the invalid event when the validator refused one.
  const writeReject = (code: string, message: string, record: unknown, event?: unknown) => {
    bump(t.rejectsByCode, code)
    tally.rejects++
    return rejects.write(
      JSON.stringify({
        partition: partitionKey,
        line: lineNo,
        stage: 'transform',
        code,
        message,
        record: record ?? null,
        ...(event === undefined ? {} : { event }),
      }),
    )
  }
  const rejected = (waiting: Promise<void> | undefined): RecordOutcome | Promise<RecordOutcome> => {
    t.rejected++
    const outcome = tally
    return waiting ? waiting.then(() => outcome) : outcome
  }
  // One produced event: validated, then staged or dead-lettered.
  const stageEvent = (event: PostHogEvent, raw: unknown): Promise<void> | undefined => {
    const v = validateEvent(event)
    if (!v.ok) return writeReject(v.code, v.message, raw, event)
    tally.staged++
    t.events++
    bump(t.byName, event.event)
    bump(t.byDay, utcDay(event.timestamp))
    widen(tally, event.timestamp)
    return out.write(v.serialized)
  }
  const account = (outcome: RecordOutcome): RecordOutcome => {
    if (outcome.staged > 0) {
      t.stagedRecords++
      t.invalidEvents += outcome.produced - outcome.staged
    } else t.rejected++
    return outcome
  }
  // The rest of a record's events once a write had to wait for a flush: from then on, one at a time.
  const stageRest = async (waiting: Promise<void>, produced: PostHogEvent[], from: number, raw: unknown) => {
    const outcome = tally
    await waiting
    for (let i = from; i < produced.length; i++) {
      const next = stageEvent(produced[i] as PostHogEvent, raw)
      if (next) await next
    }
    return account(outcome)
  }
  const filtered = (reason: string): RecordOutcome => {
    t.filtered++
    bump(t.filteredByReason, reason)
    tally.filtered = reason
    return tally
  }

  return (line, at) => {
    lineNo = at
    t = deps.counts
    out = deps.out
    rejects = deps.rejects
    tally = noOutcome()
    let raw: unknown
    try {
      raw = JSON.parse(line)
    } catch {
      return rejected(writeReject('unparsable_record', 'staged record is not valid JSON', line))
    }
    let result: TransformResult
    try {
      result = source.transform(raw, ctx)
    } catch (error) {
      return rejected(writeReject('transform_error', thrown('transform threw', error), raw))
    }
    if (isRejection(result)) return rejected(writeReject(result.code, result.message, raw))
    if (isFiltered(result)) return filtered(result.reason)
    let produced: PostHogEvent[]
    try {
      produced = applyHooks(Array.isArray(result) ? result : [result], hooks)
    } catch (error) {
      // A user's --transform that throws for some records: those are dead-lettered, the rest go on.
      return rejected(writeReject('transform_hook_error', thrown('the --transform hook threw', error), raw))
    }
    if (produced.length === 0)
      return filtered(Array.isArray(result) && result.length === 0 ? 'no_events' : 'mapping')
    tally.produced = produced.length
    for (let i = 0; i < produced.length; i++) {
      const waiting = stageEvent(produced[i] as PostHogEvent, raw)
      if (waiting) return stageRest(waiting, produced, i + 1, raw)
    }
    return account(tally)
  }
}

/**
 * Takes a record's outcome back out of the counts: `events` are the lines it staged, `rejectLines` the
 * reject lines it wrote. For a record transformed again with other `ctx.once` answers.
 */
export function uncount(
  t: TransformCounts,
  outcome: RecordOutcome,
  events: string[],
  rejectLines: string[],
): void {
  if (outcome.filtered !== undefined) {
    t.filtered--
    bump(t.filteredByReason, outcome.filtered, -1)
  } else if (outcome.staged > 0) {
    t.stagedRecords--
    t.invalidEvents -= outcome.produced - outcome.staged
  } else t.rejected--
  for (const line of events) {
    const { event, timestamp } = JSON.parse(line) as { event: string; timestamp: string }
    t.events--
    bump(t.byName, event, -1)
    bump(t.byDay, utcDay(timestamp), -1)
  }
  for (const line of rejectLines) bump(t.rejectsByCode, (JSON.parse(line) as { code: string }).code, -1)
}
