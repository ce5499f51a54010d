import type { Got } from 'got'
import type { z } from 'zod'
import type { Logger } from '../util/logger.js'
import type { EventRejectCode, PostHogEvent } from './posthog-event.js'
import type { RejectAdvice } from './reject-codes.js'

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }
export type JsonObject = { [key: string]: JsonValue }

/**
 * One unit of export: a time window, a file, a page range of profiles. Recorded in the job state
 * before any request is made; loaded in (phase, order) order, so profiles (phase 0) go before events.
 */
export interface Partition {
  /** Unique and stable within the job: re-planning the same config yields the same keys. */
  key: string
  /** `events` unless said otherwise; e.g. `profiles`. */
  kind?: string
  /** Lower phases load first. Default 1; person profiles use 0 (PostHog applies $set in arrival order). */
  phase?: number
  /** Sortable load order within a phase: the window start (ISO) or the file name. Default: plan order. */
  order?: string
  /** Connector parameters for export: window bounds, file path, ... (JSON, no secrets). */
  params: JsonObject
}

/**
 * One page of raw records: as values (`records`, staged as JSON), or as the JSON text the source sent
 * (`lines`, one record each, staged as they are: no parse and re-serialization per record). A cursor lets a
 * crash resume mid-partition instead of re-exporting it.
 */
export interface ExportPage<Raw = unknown> {
  records?: Raw[]
  /**
   * Records already serialized as JSON, one per string, staged after `records`. A line that is not valid
   * JSON is dead-lettered by the transform stage (`unparsable_record`), never lost; one holding a newline
   * is staged as a JSON string, so it stays one record.
   */
  lines?: string[]
  /**
   * Records the export read and left out on the user's own request (an event filter applied while
   * reading), by reason: never staged, but counted as read and filtered, so the report accounts for
   * every record read.
   */
  skipped?: Record<string, number>
  cursor?: JsonValue
}

export interface SourceContext<Config> {
  config: Config
  /** got with retries off and errors classified (429/5xx → retriable, 401/403 → fatal): the runtime retries. */
  http: Got
  signal: AbortSignal
  logger: Logger
  /** Non-fatal notices shown to the user (clipped range, skipped files). */
  warn(message: string): void
  /** Current time; tests may pin it. */
  now: Date
}

export interface ExportContext<Config> extends SourceContext<Config> {
  partition: Partition
  /** The cursor of the last page staged before a crash, when resuming this partition. */
  cursor: JsonValue | undefined
  /** A private scratch directory for this partition (spool a zip there); emptied after the partition. */
  scratchDir: string
}

export interface ReplanContext<Config> extends SourceContext<Config> {
  /** Partitions exported so far with what they held: use it to size the windows still to come. */
  exported: ReadonlyArray<{ partition: Partition; records: number; bytes: number }>
  /** Not yet exported, in order. */
  pending: readonly Partition[]
}

export interface Rejection {
  readonly rejected: true
  readonly code: string
  readonly message: string
}
export interface Filtered {
  readonly filtered: true
  readonly reason: string
}

export type TransformResult = PostHogEvent | PostHogEvent[] | Rejection | Filtered

export interface TransformContext<Config = unknown> {
  source: string
  /** The parsed connector config (always set by the runtime): transform options such as "emit $identify". */
  config?: Config
  /** `source` of the user's mapping file: connector-specific overrides the connector validates itself. */
  mappingOverrides?: Record<string, unknown>
  /** The data set's identity (project id, file identity): part of every uuid. */
  identity: string
  partition: Partition
  /** Deterministic UUIDv5 over (source, identity, ...parts). */
  uuid(...parts: Array<string | number>): string
  /** Deterministic uuid from the record's canonical content, for sources without an event id. */
  uuidFromContent(record: unknown): string
  /**
   * True the first time `key` is seen in this job (across partitions and resumes), e.g. to emit one
   * `$identify` per (user, device) pair. Partitions are transformed in plan order, so this is deterministic.
   */
  once(key: string): boolean
  /**
   * True the first time `key` is seen in this pass over the partition. Nothing is persisted: a partition
   * transformed again (after a crash) starts clean. For duplicates inside one export, such as the rows
   * Mixpanel's export repeats within a window.
   */
  onceInPartition(key: string): boolean
  reject(code: string, message: string): Rejection
  filter(reason: string): Filtered
}

/** Capabilities drive which conformance checks apply and which common flags the CLI offers. */
export interface SourceCapabilities {
  /** The config has `start`/`end` and the plan covers exactly that range. */
  range?: boolean
  /** Export pages carry cursors, so a crash resumes mid-partition. */
  cursor?: boolean
  /** The source has a person-profile partition kind. */
  profiles?: boolean
  /** The source talks HTTP with credentials (auth failures, 429s apply). */
  http?: boolean
}

/** The source's own API budget, enforced by the runtime around every request made with `ctx.http`. */
export interface SourceLimits {
  requestsPerSecond?: number
  requestsPerHour?: number
  /** Requests in flight at once; a request is over when its response has been read to its end or failed. */
  concurrency?: number
}

export interface SourceDefinition<Schema extends z.ZodType = z.ZodType, Raw = unknown> {
  /** Equals the package suffix: `@ph-import/connector-<name>` runs as `ph-import <name>`. */
  name: string
  description: string
  /**
   * Command lines for `ph-import <name> --help`, after `ph-import ` (secrets as environment variables). Without
   * them the CLI writes its own from the required flags, which cannot know alternatives (a service account or
   * an API secret).
   */
  examples?: readonly string[]
  config: Schema
  capabilities?: SourceCapabilities
  // Method-style (bivariant) so a typed source is still assignable to AnySource.
  limits?: SourceLimits | { fn(config: z.output<Schema>): SourceLimits }['fn']
  /** Stable identity of the data set (project id, file identity); default `default`. Never a secret. */
  identity?(config: z.output<Schema>): string
  plan(ctx: SourceContext<z.output<Schema>>): Promise<Partition[]> | Partition[]
  export(ctx: ExportContext<z.output<Schema>>): AsyncIterable<ExportPage<Raw>>
  /** Pure: one raw record into zero or more PostHog events, or a rejection with a reason code. */
  transform(raw: Raw, ctx: TransformContext<z.output<Schema>>): TransformResult
  /**
   * Optional: the reason codes this transform gives, each with what a user can do about it. `rejects <job>`
   * prints the advice beside each code; core describes its own codes and the common input ones
   * (`invalid_utf8`, `unparsable_line`, …), and an entry here replaces core's for this connector.
   */
  rejectCodes?: Readonly<Record<string, RejectAdvice>>
  /**
   * Optional: the config fields that change an event's time, name or person (a time zone, an event-name
   * map, the field a distinct id comes from). A new job over data an earlier one sent to the same project
   * that differs in one of them would leave PostHog with two copies of the events it changes, so the
   * runtime warns before it starts. Fields that only choose or fetch records (filters, rates, hosts) are
   * not listed.
   */
  eventShapingConfig?: readonly string[]
  /** Optional: reshape pending partitions from observed volume (grow small windows, split big ones). */
  replan?(ctx: ReplanContext<z.output<Schema>>): Partition[] | undefined
  /** Optional: how long the plan will take given the source's budget, shown before starting. */
  estimate?(
    partitions: readonly Partition[],
    config: z.output<Schema>,
  ): { seconds: number; note: string } | undefined
}

/** Identity function whose only job is to infer `Config` and `Raw` from the schemas for the connector author. */
export function defineSource<Schema extends z.ZodType, Raw = unknown>(
  definition: SourceDefinition<Schema, Raw>,
): SourceDefinition<Schema, Raw> {
  return definition
}

export type AnySource = SourceDefinition<z.ZodType, unknown>

export function isRejection(value: unknown): value is Rejection {
  return typeof value === 'object' && value !== null && (value as Rejection).rejected === true
}
export function isFiltered(value: unknown): value is Filtered {
  return typeof value === 'object' && value !== null && (value as Filtered).filtered === true
}

export type { EventRejectCode }
