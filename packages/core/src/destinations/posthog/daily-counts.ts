import { z } from 'zod'
import { ConfigError, FatalError } from '../../contracts/errors.js'
import { type BackoffPolicy, backoffDelay, systemClock } from '../../runtime/backoff.js'
import { EU_INGESTION_HOST, resolveHost, US_INGESTION_HOST } from './config.js'

/** Cloud ingestion hosts → the app hosts that serve the private API (the query API among it). */
const APP_HOST_OF: Record<string, string> = {
  [US_INGESTION_HOST]: 'https://us.posthog.com',
  [EU_INGESTION_HOST]: 'https://eu.posthog.com',
}

/** The host of PostHog's private API for what a user gave: cloud ingestion hosts map to app hosts. */
export function appHost(host: string): string {
  const { url } = resolveHost(host)
  return APP_HOST_OF[url] ?? url
}

export interface DailyCountsOptions {
  /** As for the destination: `us`, `eu`, an ingestion or app host, or a self-hosted URL. */
  host: string
  /** A personal API key (`phx_`) with the Query Read scope. */
  personalApiKey: string
  projectId: string
  /** The events' `$import_source`. */
  importSource: string
  /** UTC days, `from` included, `to` excluded. */
  from: string
  to: string
  timeoutMs?: number
  /** For 429, 5xx and network errors (Retry-After honoured). */
  backoff?: BackoffPolicy
}

/** One query, a handful of tries: this is a check a person is waiting for, not a job to push through. */
const QUERY_BACKOFF: BackoffPolicy = { baseMs: 1000, maxMs: 30_000, maxAttempts: 4 }

const DAY = /^\d{4}-\d{2}-\d{2}$/
const QueryResponse = z.object({ results: z.array(z.tuple([z.string(), z.coerce.number()])) })
/** PostHog's query API returns at most this many rows per query; one row a day is 136 years. */
const ROW_LIMIT = 50_000

/** The HogQL: distinct uuids (PostHog deduplicates resends only when parts merge) per UTC day. */
export function dailyCountsQuery(importSource: string, from: string, to: string): string {
  const source = importSource.replace(/\\/g, '\\\\').replace(/'/g, "\\'")
  return [
    "SELECT toDate(toTimeZone(timestamp, 'UTC')) AS day, count(DISTINCT uuid) AS events FROM events",
    `WHERE timestamp >= toDateTime('${from} 00:00:00', 'UTC') AND timestamp < toDateTime('${to} 00:00:00', 'UTC')`,
    `AND properties.$import_source = '${source}'`,
    `GROUP BY day ORDER BY day LIMIT ${ROW_LIMIT}`,
  ].join(' ')
}

/** Days per query: a multi-year import is counted a quarter at a time, so no single query scans years. */
const WINDOW_DAYS = 92
const DAY_MS = 86_400_000

/**
 * How many distinct events PostHog holds per UTC day for one import source, through its query API
 * (`POST /api/projects/:id/query/`, HogQL queries of at most a quarter each). Answers are classified like
 * the destination's: a refused key or unknown project stops with what to fix; 429 and 5xx are retried.
 */
export async function countEventsByDay(options: DailyCountsOptions): Promise<Map<string, number>> {
  if (!DAY.test(options.from) || !DAY.test(options.to))
    throw new ConfigError(`days must be YYYY-MM-DD, got ${options.from} and ${options.to}`)
  if (!/^[A-Za-z0-9_-]+$/.test(options.projectId))
    throw new ConfigError(`project id "${options.projectId}" is not a PostHog project id`, {
      hint: 'it is the number in your project settings (Project ID), e.g. 12345',
    })
  const counts = new Map<string, number>()
  const end = Date.parse(`${options.to}T00:00:00Z`)
  for (let start = Date.parse(`${options.from}T00:00:00Z`); start < end; start += WINDOW_DAYS * DAY_MS) {
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10)
    const window = await countWindow({
      ...options,
      from: day(start),
      to: day(Math.min(end, start + WINDOW_DAYS * DAY_MS)),
    })
    for (const [d, n] of window) counts.set(d, n)
  }
  return counts
}

async function countWindow(options: DailyCountsOptions): Promise<Map<string, number>> {
  const base = appHost(options.host)
  const url = `${base}/api/projects/${options.projectId}/query/`
  const body = JSON.stringify({
    query: { kind: 'HogQLQuery', query: dailyCountsQuery(options.importSource, options.from, options.to) },
  })
  const backoff = options.backoff ?? QUERY_BACKOFF
  for (let attempt = 1; ; attempt++) {
    let response: Response
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${options.personalApiKey}` },
        body,
        signal: AbortSignal.timeout(options.timeoutMs ?? 120_000),
      })
    } catch (error) {
      if (attempt < backoff.maxAttempts) {
        await systemClock.sleep(backoffDelay(attempt, backoff))
        continue
      }
      throw new FatalError(`cannot query PostHog at ${base}: ${(error as Error).message}`, {
        hint: 'check --posthog-host: the query API is on the app host (us.posthog.com, eu.posthog.com or yours)',
      })
    }
    const text = await response.text()
    if (response.ok) return toMap(text, base)
    if ((response.status === 429 || response.status >= 500) && attempt < backoff.maxAttempts) {
      const retryAfter = Number(response.headers.get('retry-after'))
      const asked = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined
      await systemClock.sleep(backoffDelay(attempt, backoff, { retryAfterMs: asked }))
      continue
    }
    throw refused(response.status, detailOf(text), base, options.projectId)
  }
}

function toMap(text: string, base: string): Map<string, number> {
  let parsed: z.infer<typeof QueryResponse>
  try {
    parsed = QueryResponse.parse(JSON.parse(text))
  } catch {
    throw new FatalError(`PostHog at ${base} answered the query with something other than its results`, {
      hint: 'check --posthog-host: it must be PostHog itself (the app host), not a proxy or the ingestion host',
    })
  }
  return new Map(parsed.results.map(([day, count]) => [day.slice(0, 10), count]))
}

function detailOf(text: string): string {
  try {
    const detail = (JSON.parse(text) as { detail?: unknown }).detail
    if (typeof detail === 'string') return detail
  } catch {}
  return text.slice(0, 200)
}

function refused(status: number, detail: string, base: string, projectId: string): FatalError {
  if (status === 401 || status === 403)
    return new FatalError(`PostHog refused the personal API key (HTTP ${status}): ${detail}`, {
      hint: `create a personal API key (phx_…) with the Query Read scope at ${base}/settings/user-api-keys, for the project ${projectId}; the project API key (phc_) cannot query`,
    })
  if (status === 404)
    return new FatalError(`PostHog at ${base} has no project ${projectId} (HTTP 404)`, {
      hint: 'use the Project ID from your project settings, and the app host of your region (us.posthog.com, eu.posthog.com)',
    })
  if (status === 429 || status >= 500)
    return new FatalError(`PostHog's query API answered HTTP ${status} to every try: ${detail}`, {
      hint: 'PostHog is busy or unavailable: run verify again in a few minutes (nothing about the import changes)',
    })
  return new FatalError(`PostHog's query API answered HTTP ${status}: ${detail}`, {
    hint: 'check --posthog-host and --project-id; run with --debug to see the whole error',
  })
}
