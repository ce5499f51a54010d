import type { AnySource, Partition, RunImportOptions, SourceCapabilities } from '@ph-import/core'
import type { ConformanceFaults } from '../fake/faults.js'

/** What a connector's fake server hands the suite: where it listens, and optional fault knobs. */
export interface FakeHandle {
  url: string
  close(): Promise<void>
  /** Without it, the 429 and 401 checks are skipped (with a note saying so). */
  faults?: ConformanceFaults
}

export type Capability = keyof SourceCapabilities | 'faults'

export interface ConformanceOptions {
  source: AnySource
  /** Starts a fresh fake for one check (each check gets its own). Omit for file sources. */
  fake?: () => Promise<FakeHandle>
  /** A valid config for the fake (its url, the key it accepts, a range it has data for). */
  config: (url: string, fake: FakeHandle | undefined) => unknown
  /** Defaults to `source.capabilities`. */
  capabilities?: SourceCapabilities
  /** Check names to skip, e.g. `['retry_after_honoured']` with a reason in a comment beside it. */
  skip?: string[]
  /** Maps event partitions to [start, end) intervals (ISO strings or epoch ms), in plan order.
   * Default: `params.start`/`params.end` (or `from`/`to`) of partitions of kind `events`. */
  coverage?: (partitions: readonly Partition[]) => Array<readonly [string | number, string | number]>
  /** The [start, end) the plan must cover. Default: config `start`/`end`, a date-only `end` inclusive. */
  expectedRange?: (config: Record<string, unknown>) => readonly [number, number]
  /**
   * How many records a complete export of `config` yields: what the fake holds for its range, counted as the
   * export yields them (rows, profiles, a row the API itself repeats). With it, `export_is_complete` fails a
   * connector that loses or repeats a page; without it, that check is skipped.
   */
  expectedRecords?: (config: unknown, fake: FakeHandle | undefined) => number | Promise<number>
  /** Configs that must be refused (by the schema, or by plan() with a ConfigError). */
  invalidConfigs?: unknown[]
  /** Partitions exported by the export and transform checks (default 3). */
  samplePartitions?: number
  /** How long after an abort the run must have ended (default 10 s: a bound, not a speed test). */
  abortWithinMs?: number
  /** Runs of the resume check each stop after this many pages, before a final resume (default [1, 4]). */
  interruptAfterPages?: number[]
  /** Duplicate events tolerated after an interrupted run is resumed (default: one batch, 100). */
  maxResumeDuplicates?: number
  /** Extra runImport options for every run the suite makes (a pinned `now`, a mapping, ...). */
  runOptions?: Partial<Omit<RunImportOptions, 'source' | 'config' | 'destination' | 'stateDir'>>
  /** The connector's own checks, run and reported like the standard ones. */
  extraChecks?: ConformanceCheck[]
  /** Test timeout for each check (default 60 s). */
  timeoutMs?: number
}

export interface CheckResult {
  name: string
  status: 'pass' | 'fail' | 'skip'
  message: string
}

/** Everything a check needs: the options, a private temp dir, and fakes closed after the check. */
export interface CheckEnv {
  options: ConformanceOptions
  source: AnySource
  capabilities: SourceCapabilities
  /** A directory of its own, removed after the check. */
  tmp: string
  /** Starts a fake (closed after the check) and returns it with its valid config. */
  setup(): Promise<{ fake: FakeHandle | undefined; config: unknown }>
}

export interface ConformanceCheck {
  /** Stable snake_case name: shown in test output and used in `skip`. */
  name: string
  /** What a pass guarantees, in one sentence. */
  description: string
  /** Skipped unless the source declares all of these (`faults`: the fake has fault knobs). */
  requires?: Capability[]
  /** Throws (CheckFailure or any error) to fail, throws CheckSkipped to skip; returns a pass note. */
  run(env: CheckEnv): Promise<string | undefined>
}

export class CheckFailure extends Error {
  override name = 'CheckFailure'
}
export class CheckSkipped extends Error {
  override name = 'CheckSkipped'
}

export function fail(message: string): never {
  throw new CheckFailure(message)
}
export function ensure(condition: unknown, message: string): asserts condition {
  if (!condition) throw new CheckFailure(message)
}
