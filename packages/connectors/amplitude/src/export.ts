import { createWriteStream } from 'node:fs'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import {
  type ExportContext,
  type ExportPage,
  FatalError,
  RetriableError,
  SplitPartition,
  sqlDateTimeToIso,
} from '@ph-import/core'
import { bisect, formatHour, hoursIn, partitionWindow, windowPartition } from './hours.js'
import type { AmplitudeConfig, RawAmplitudeEvent } from './schema.js'
import { zipJsonGzLines } from './zip-lines.js'

const REGION_URLS = { us: 'https://amplitude.com', eu: 'https://analytics.eu.amplitude.com' } as const
const S3_HINT =
  "this hour is too large for Amplitude's Export API: export it with Amplitude's Amazon S3 export instead (https://amplitude.com/docs/data/destination-catalog/amazon-s3), or leave it out with --start/--end"

export function exportUrl(config: AmplitudeConfig): string {
  return `${(config.baseUrl ?? REGION_URLS[config.region]).replace(/\/+$/, '')}/api/2/export`
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { response?: { statusCode?: unknown } } | undefined)?.response?.statusCode
  return typeof status === 'number' ? status : undefined
}

/**
 * Amplitude answers an empty window with 404 "No data available for the time range requested.". Any other
 * 404 (a path typo in --base-url, a proxy) is not an empty window: taken as one, the job would end "done"
 * having read nothing.
 */
function isNoDataAnswer(error: unknown): boolean {
  const body = (error as { response?: { body?: unknown } } | undefined)?.response?.body
  const text = typeof body === 'string' ? body : Buffer.isBuffer(body) ? body.toString('utf8') : ''
  return /no data/i.test(text)
}

/** Export-time filters, so excluded events are never staged. Undefined when nothing is filtered. */
function recordFilter(config: AmplitudeConfig): ((raw: RawAmplitudeEvent) => boolean) | undefined {
  const include = config.eventTypes ? new Set(config.eventTypes) : undefined
  const exclude = new Set(config.excludeEventTypes)
  const from = config.eventTimeStart ? Date.parse(config.eventTimeStart) : undefined
  const to = config.eventTimeEnd ? Date.parse(config.eventTimeEnd) : undefined
  if (!include && exclude.size === 0 && from === undefined && to === undefined) return undefined
  return (raw) => {
    const type = typeof raw.event_type === 'string' ? raw.event_type : ''
    if (include && !include.has(type)) return false
    if (exclude.has(type)) return false
    if (from === undefined && to === undefined) return true
    const time = [raw.event_time, raw.client_event_time, raw.server_received_time]
      .map((v) => (typeof v === 'string' ? sqlDateTimeToIso(v) : undefined))
      .find((v) => v !== undefined)
    // Keep what we cannot date: the transform rejects it with a reason instead of dropping it silently.
    if (time === undefined) return true
    const ms = Date.parse(time)
    return (from === undefined || ms >= from) && (to === undefined || ms < to)
  }
}

/** Downloads the window's zip into the scratch dir; returns false for Amplitude's 404 "no data". */
async function download(ctx: ExportContext<AmplitudeConfig>, file: string): Promise<boolean> {
  const { config, partition } = ctx
  const window = partitionWindow(partition)
  const where = `[amplitude] ${formatHour(window.first)}..${formatHour(window.last)}`
  const auth = Buffer.from(`${config.apiKey}:${config.secretKey}`).toString('base64')
  try {
    const response = ctx.http.stream(exportUrl(config), {
      searchParams: { start: formatHour(window.first), end: formatHour(window.last) },
      headers: { authorization: `Basic ${auth}` },
      signal: ctx.signal,
    })
    await pipeline(response, createWriteStream(file))
    return true
  } catch (error) {
    const status = statusOf(error)
    if (status === 404) {
      if (isNoDataAnswer(error)) return false
      throw new FatalError(
        `${where}: HTTP 404 from ${exportUrl(config)}, not Amplitude's "No data available" answer`,
        {
          cause: error,
          hint: config.baseUrl
            ? 'check --base-url: it is the host alone (e.g. https://analytics.eu.amplitude.com), the path /api/2/export is added'
            : 'check --region, or whether a proxy between here and Amplitude answers for it',
        },
      )
    }
    if (status === 401 || status === 403) {
      throw new FatalError(`${where}: HTTP ${status}, wrong API key, secret or region`, {
        cause: error,
        hint:
          config.region === 'us' && !config.baseUrl
            ? 'check --api-key and --secret-key; a project hosted in the EU needs --region eu'
            : 'check --api-key, --secret-key and --region',
      })
    }
    // 400 is Amplitude's "over 4 GB" answer, 504 its "too much data, timed out": ask for less.
    if (status === 400 || status === 504) {
      const reason = status === 400 ? 'export larger than 4 GB' : 'export timed out (504)'
      if (hoursIn(window) > 1) {
        throw new SplitPartition(
          `${where}: ${reason}; splitting the window in two`,
          bisect(window).map(windowPartition),
        )
      }
      const Err = status === 400 ? FatalError : RetriableError
      throw new Err(`${where}: ${reason} for a single hour`, { cause: error, hint: S3_HINT })
    }
    throw error
  }
}

/** Whether an export line passes the event filters; a line that is not JSON passes (it is dead-lettered later). */
function lineFilter(config: AmplitudeConfig): ((line: string) => boolean) | undefined {
  const keep = recordFilter(config)
  if (!keep) return undefined
  return (line) => {
    let record: unknown
    try {
      record = JSON.parse(line)
    } catch {
      return true
    }
    return typeof record !== 'object' || record === null || keep(record as RawAmplitudeEvent)
  }
}

/**
 * The window's export lines, staged as Amplitude wrote them: parsed here only when event filters must
 * look inside. A line that is not JSON is staged too, and the transform stage dead-letters it.
 */
export async function* exportAmplitude(
  ctx: ExportContext<AmplitudeConfig>,
): AsyncGenerator<ExportPage<RawAmplitudeEvent | string>> {
  const file = path.join(ctx.scratchDir, 'export.zip')
  if (!(await download(ctx, file))) return
  const keep = lineFilter(ctx.config)
  let page: string[] = []
  let skipped = 0
  for await (const line of zipJsonGzLines(file)) {
    if (keep && !keep(line)) {
      skipped++
      continue
    }
    page.push(line)
    if (page.length >= ctx.config.pageSize) {
      yield { lines: page }
      page = []
    }
  }
  // Read, then left out as the user asked: the report counts them as filtered, by this reason.
  if (page.length > 0 || skipped > 0)
    yield { lines: page, ...(skipped > 0 ? { skipped: { event_filters: skipped } } : {}) }
}
