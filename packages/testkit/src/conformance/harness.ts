import { readFile } from 'node:fs/promises'
import path from 'node:path'
import {
  type AnySource,
  createFileDestination,
  createLogger,
  createSourceHttp,
  type ExportPage,
  type JsonValue,
  type LogSink,
  type Partition,
  type ProgressEvent,
  type RunImportOptions,
  type RunResult,
  runImport,
  type SourceContext,
} from '@ph-import/core'
import type { CheckEnv } from './types.js'

export type LogEntry = Parameters<LogSink>[0]

/** Small backoff so retries cost milliseconds; Retry-After still wins when the server sends one. */
export const FAST_BACKOFF = { baseMs: 5, maxMs: 50, maxAttempts: 5 }
export const BATCH_SIZE = 100

/** The parsed config, or a failure naming the fields when the suite's own config is invalid. */
export function parseConfig(source: AnySource, config: unknown): Record<string, unknown> {
  const parsed = source.config.safeParse(config)
  if (!parsed.success) {
    throw new Error(
      `the config given to the suite is invalid: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`,
    )
  }
  return parsed.data as Record<string, unknown>
}

/** A SourceContext like the runtime's, for calling plan/export directly. */
export function sourceContext(source: AnySource, config: Record<string, unknown>, logs: LogEntry[] = []) {
  const limits = typeof source.limits === 'function' ? source.limits(config) : source.limits
  const ctx: SourceContext<unknown> = {
    config,
    http: createSourceHttp({ limits }).http,
    signal: new AbortController().signal,
    logger: createLogger({ sink: (e) => logs.push(e), level: 'debug', scope: source.name }),
    warn: () => {},
    now: new Date(),
  }
  return ctx
}

/** Every record of one partition, from the start (no cursor). */
export async function exportRecords(
  source: AnySource,
  ctx: SourceContext<unknown>,
  partition: Partition,
  scratchDir: string,
): Promise<unknown[]> {
  const records: unknown[] = []
  for await (const page of source.export({ ...ctx, partition, cursor: undefined, scratchDir })) {
    const { records: values = [], lines = [] } = page as ExportPage
    records.push(...values, ...lines.map(parsedLine))
  }
  return records
}

/**
 * An exported line that is not JSON. The runtime dead-letters it before the connector's transform could see
 * it, so checks must not hand it to the transform either.
 */
export class UnparsableLine {
  constructor(readonly line: string) {}
}

/** A record exported as a line, as the transform stage reads it. */
function parsedLine(line: string): unknown {
  try {
    return JSON.parse(line) as unknown
  } catch {
    return new UnparsableLine(line)
  }
}

export interface ImportRun {
  result: RunResult
  /** Every event line the destination received, in order (parsed). */
  events: Array<{ uuid: string; [key: string]: unknown }>
  logs: LogEntry[]
  progress: ProgressEvent[]
  stateDir: string
  outFile: string
}

export interface ImportOnce {
  env: CheckEnv
  config: unknown
  /** Name of the run's directory inside the check's temp dir (state and output live there). */
  name: string
  source?: AnySource
  signal?: AbortSignal
  onProgress?: (event: ProgressEvent) => void
}

/**
 * One runImport into a file destination, with a log sink that does NOT redact: a connector must never
 * hand a secret to the logger in the first place. Re-running with the same `name` resumes the job.
 */
export async function importOnce(run: ImportOnce): Promise<ImportRun> {
  const dir = path.join(run.env.tmp, run.name)
  const stateDir = path.join(dir, 'state')
  const outFile = path.join(dir, 'events.jsonl')
  const logs: LogEntry[] = []
  const progress: ProgressEvent[] = []
  const options: RunImportOptions = {
    rate: 1_000_000,
    batchSize: BATCH_SIZE,
    exportCheckpointMs: 0,
    ...run.env.options.runOptions,
    backoff: { ...FAST_BACKOFF, ...run.env.options.runOptions?.backoff },
    source: run.source ?? run.env.source,
    config: run.config,
    destination: createFileDestination({ path: outFile }),
    stateDir,
    logger: createLogger({ sink: (e) => logs.push(e), level: 'debug' }),
    onProgress: (e) => {
      progress.push(e)
      run.onProgress?.(e)
    },
    ...(run.signal ? { signal: run.signal } : {}),
  }
  const result = await runImport(options)
  return { result, events: await readEvents(outFile), logs, progress, stateDir, outFile }
}

export async function readEvents(file: string): Promise<Array<{ uuid: string; [key: string]: unknown }>> {
  const text = await readFile(file, 'utf8').catch(() => '')
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { uuid: string })
}

/** A run's outcome in one line, for failure messages. */
export function describeRun(run: ImportRun): string {
  const r = run.result.report
  const error = r.error ? `: ${r.error.message}` : ''
  return `status ${run.result.status}, ${run.events.length} events loaded${error}`
}

/** Wraps a source so the run is aborted after `pages` pages were handed to the runtime. */
export function interruptingSource(source: AnySource, pages: number, abort: AbortController): AnySource {
  let seen = 0
  return {
    ...source,
    async *export(ctx) {
      for await (const page of source.export(ctx)) {
        yield page
        seen++
        if (seen >= pages) abort.abort(new Error('conformance: simulated crash'))
      }
    },
  }
}

export function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>()
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1)
  return counts
}

export function jsonEqual(a: JsonValue | unknown, b: JsonValue | unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}
