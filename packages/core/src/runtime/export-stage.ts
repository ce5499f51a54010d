import { mkdir, rm } from 'node:fs/promises'
import path from 'node:path'
import { errorKind, FatalError, type PhImportError, type SplitPartition } from '../contracts/errors.js'
import type { AnySource, JsonValue, SourceContext } from '../contracts/source.js'
import { sha256File } from './atomic-fs.js'
import { type BackoffPolicy, backoffDelay, type Clock, type RetryReason } from './backoff.js'
import { networkCode, UNREACHABLE_ATTEMPTS } from './deliver.js'
import { classifySourceError } from './http.js'
import { StagedGzipWriter } from './staged-file.js'
import { type JobPaths, type PartitionState, toPartition } from './state.js'

export interface ExportStageOptions {
  source: AnySource
  paths: JobPaths
  context: SourceContext<unknown>
  backoff: BackoffPolicy
  clock: Clock
  /** Persist the job state (called at each checkpoint). */
  save(): Promise<void>
  /** Removes secrets from text kept in the state: an API can echo a key in an error body. */
  redact(text: string): string
  onRecords?(n: number): void
  onRetry?(error: PhImportError, attempt: number, delayMs: number): void
  /** Minimum time between mid-partition checkpoints. */
  checkpointEveryMs?: number
  /**
   * Shared across partitions: whether the source has answered in this run. An API host that never did
   * and cannot be reached (a wrong --base-url or region) fails after a few tries, not ten per partition.
   */
  reach?: { answered: boolean }
}

export type ExportOutcome =
  | { status: 'done' }
  | { status: 'failed'; error: PhImportError }
  | { status: 'split'; error: SplitPartition }

/**
 * A signal that aborts with `parent`, for one export attempt. got leaves a stream request's abort listener
 * (and so the request) on the signal it was given until the request is destroyed, which a stream read to
 * its end never is. On the job's signal they piled up, one per partition for the whole run, and Node
 * warned of a leak from the eleventh on; on an attempt's own signal they go with it.
 */
function followAbort(parent: AbortSignal): { signal: AbortSignal; release(): void } {
  const controller = new AbortController()
  const abort = () => controller.abort(parent.reason)
  if (parent.aborted) abort()
  else parent.addEventListener('abort', abort, { once: true })
  return { signal: controller.signal, release: () => parent.removeEventListener('abort', abort) }
}

/**
 * Exports one partition into its staged gzip file. Without cursors a partition commits only when
 * its export finished (a half-export is redone from scratch); with cursors, each checkpoint commits
 * the pages before it, and a resume truncates to that point and continues from the cursor.
 */
export async function exportPartition(p: PartitionState, opts: ExportStageOptions): Promise<ExportOutcome> {
  const { source, paths, context } = opts
  const file = paths.raw(p)
  await mkdir(path.dirname(file), { recursive: true })
  const where = `[${source.name}] partition ${p.key}`
  for (;;) {
    p.export.attempts++
    const resume =
      p.export.status === 'partial' && p.export.cursor !== undefined
        ? { bytes: p.export.bytes, records: p.export.records }
        : undefined
    const cursor: JsonValue | undefined = resume ? p.export.cursor : undefined
    // Kept beside the records count: both are committed at the same checkpoints.
    const skipped: Record<string, number> = resume ? { ...p.export.skipped } : {}
    const skippedState = () => (Object.keys(skipped).length > 0 ? { skipped: { ...skipped } } : {})
    const writer = await StagedGzipWriter.open(file, resume)
    const scratchDir = paths.scratch(p)
    await mkdir(scratchDir, { recursive: true })
    let lastCheckpoint = opts.clock.now()
    const attempt = followAbort(context.signal)
    try {
      const pages = source.export({
        ...context,
        signal: attempt.signal,
        partition: toPartition(p),
        cursor,
        scratchDir,
      })
      for await (const page of pages) {
        if (context.signal.aborted) throw context.signal.reason
        if (opts.reach) opts.reach.answered = true
        const { records = [], lines = [] } = page
        for (const record of records) writer.write(record)
        // A newline inside would split one record in two: such a line is staged as a JSON string.
        for (const line of lines)
          if (line.includes('\n')) writer.write(line)
          else writer.writeLine(line)
        let left = 0
        for (const [reason, n] of Object.entries(page.skipped ?? {})) {
          skipped[reason] = (skipped[reason] ?? 0) + n
          left += n
        }
        opts.onRecords?.(records.length + lines.length + left)
        await writer.maybeFlush()
        if (
          page.cursor !== undefined &&
          opts.clock.now() - lastCheckpoint >= (opts.checkpointEveryMs ?? 1000)
        ) {
          const at = await writer.commit()
          // Not spread from the old state: an attempt that started over must not keep an earlier count.
          const { skipped: _earlier, ...before } = p.export
          p.export = {
            ...before,
            status: 'partial',
            bytes: at.bytes,
            records: at.records,
            ...skippedState(),
            cursor: page.cursor,
          }
          await opts.save()
          lastCheckpoint = opts.clock.now()
        }
      }
      // A generator that returned because of an abort is not a finished export.
      if (context.signal.aborted) throw context.signal.reason
      const at = await writer.commit()
      await writer.close()
      p.export = {
        status: 'done',
        attempts: p.export.attempts,
        bytes: at.bytes,
        records: at.records,
        ...skippedState(),
        sha256: await sha256File(file),
      }
      await opts.save()
      await rm(scratchDir, { recursive: true, force: true })
      return { status: 'done' }
    } catch (thrown) {
      await writer.close().catch(() => {})
      await rm(scratchDir, { recursive: true, force: true })
      if (context.signal.aborted) throw context.signal.reason
      const error = classifySourceError(thrown, where)
      const kind = errorKind(error)
      if (kind === 'split_partition') return { status: 'split', error: error as SplitPartition }
      if (kind === 'fatal' || kind === 'config') throw error
      const unreachable = opts.reach && !opts.reach.answered ? networkCode(error) : undefined
      if (unreachable && p.export.attempts >= UNREACHABLE_ATTEMPTS) {
        throw new FatalError(`cannot reach the ${source.name} API: ${error.message}`, {
          cause: error,
          hint: 'check the host (--base-url, or the region) and that it is up, then re-run the same command: it resumes',
        })
      }
      if (p.export.attempts >= opts.backoff.maxAttempts) {
        p.export = { ...p.export, status: 'failed', error: opts.redact(error.message) }
        await opts.save()
        return { status: 'failed', error }
      }
      const delay = backoffDelay(p.export.attempts, opts.backoff, error as RetryReason)
      opts.onRetry?.(error, p.export.attempts, delay)
      await opts.clock.sleep(delay, context.signal)
    } finally {
      attempt.release()
    }
  }
}
