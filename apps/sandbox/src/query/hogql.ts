import type { IncomingMessage, ServerResponse } from 'node:http'
import type { SandboxContext } from '../context.js'
import { readBody } from '../http/body.js'
import { sendJson } from '../http/respond.js'
import { SANDBOX_PROJECT_ID } from '../options.js'

/** PostHog's query API path (private API: app host, personal API key). */
export const QUERY_PATH = /^\/api\/(?:projects|environments)\/([^/]+)\/query$/

/**
 * The one HogQL query the sandbox answers: `ph-import verify`'s count of distinct uuids per UTC day for
 * one import source. It is not a HogQL engine; any other query gets PostHog's 400 shape saying so.
 */
const DAILY_COUNTS = new RegExp(
  [
    String.raw`^SELECT toDate\(toTimeZone\(timestamp, 'UTC'\)\) AS day, count\(DISTINCT uuid\) AS events FROM events`,
    String.raw`WHERE timestamp >= toDateTime\('(\d{4}-\d{2}-\d{2}) 00:00:00', 'UTC'\)`,
    String.raw`AND timestamp < toDateTime\('(\d{4}-\d{2}-\d{2}) 00:00:00', 'UTC'\)`,
    String.raw`AND properties\.\$import_source = '((?:[^'\\]|\\.)*)'`,
    String.raw`GROUP BY day ORDER BY day LIMIT (\d+)$`,
  ].join(' '),
)

const MAX_BODY_BYTES = 1024 * 1024

/** `POST /api/projects/:id/query/`, answered as PostHog does (status codes and error bodies). */
export async function handleHogQL(
  ctx: SandboxContext,
  req: IncomingMessage,
  res: ServerResponse,
  projectId: string,
): Promise<void> {
  if (req.method !== 'POST') return sendJson(res, 405, { detail: `Method "${req.method}" not allowed.` })
  const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
  if (!auth || !ctx.options.personalApiKeys.includes(auth)) {
    return sendJson(res, 401, {
      type: 'authentication_error',
      code: 'authentication_failed',
      detail: auth
        ? 'Personal API key found in request is invalid.'
        : 'Authentication credentials were not provided.',
      attr: null,
    })
  }
  if (projectId !== SANDBOX_PROJECT_ID) {
    return sendJson(res, 404, {
      type: 'invalid_request',
      code: 'not_found',
      detail: 'Not found.',
      attr: null,
    })
  }
  let query: unknown
  try {
    query = (JSON.parse((await readBody(req, MAX_BODY_BYTES)).toString('utf8')) as { query?: unknown }).query
  } catch {
    return invalid(res, 'JSON parse error')
  }
  const { kind, query: hogql } = (query ?? {}) as { kind?: unknown; query?: unknown }
  if (kind !== 'HogQLQuery' || typeof hogql !== 'string') return invalid(res, 'expected a HogQLQuery')
  const m = DAILY_COUNTS.exec(hogql.replace(/\s+/g, ' ').trim())
  if (!m) return invalid(res, "the sandbox answers only ph-import verify's daily count query")
  const [, from, to, source, limit] = m as unknown as [string, string, string, string, string]
  const rows = ctx.store.db
    .prepare(
      `SELECT day, COUNT(DISTINCT uuid) FROM events
       WHERE day >= ? AND day < ? AND json_extract(properties, '$."$import_source"') = ?
       GROUP BY day ORDER BY day LIMIT ?`,
    )
    .raw()
    .all(from, to, source.replace(/\\(.)/g, '$1'), Number(limit)) as [string, number][]
  sendJson(res, 200, {
    results: rows,
    columns: ['day', 'events'],
    types: [
      ['day', 'Date'],
      ['events', 'UInt64'],
    ],
    hogql,
    is_cached: false,
  })
}

function invalid(res: ServerResponse, detail: string): void {
  sendJson(res, 400, { type: 'validation_error', code: 'invalid_input', detail, attr: null })
}
