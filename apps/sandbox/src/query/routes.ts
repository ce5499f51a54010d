import type { IncomingMessage, ServerResponse } from 'node:http'
import type { SandboxContext } from '../context.js'
import { readBody } from '../http/body.js'
import { sendJson, sendText } from '../http/respond.js'
import { FaultConfig } from '../options.js'
import { readPersons, readStats } from '../store/queries.js'
import type { EventFilter } from '../types.js'
import { renderIndexPage } from './page.js'

/** Without a limit the HTTP API pages by this much, so a curl never dumps millions of rows. */
const DEFAULT_HTTP_LIMIT = 1000
const UUIDS_PER_WRITE = 10_000
const FAULT_BODY_LIMIT = 1024 * 1024

export function eventFilterFrom(params: URLSearchParams): EventFilter {
  const filter: EventFilter = { limit: DEFAULT_HTTP_LIMIT }
  for (const key of ['event', 'distinct_id', 'uuid', 'day'] as const) {
    const value = params.get(key)
    if (value !== null) filter[key] = value
  }
  for (const key of ['limit', 'offset'] as const) {
    const value = Number(params.get(key))
    if (params.has(key) && Number.isInteger(value)) filter[key] = value
  }
  return filter
}

/** Streams the unique uuids one per line, waiting for the socket to drain between chunks. */
async function streamUuids(ctx: SandboxContext, res: ServerResponse): Promise<void> {
  const uuids = ctx.store.uniqueUuids()
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' })
  for (let start = 0; start < uuids.length; start += UUIDS_PER_WRITE) {
    const chunk = `${uuids.slice(start, start + UUIDS_PER_WRITE).join('\n')}\n`
    if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve))
  }
  res.end()
}

async function replaceFaults(ctx: SandboxContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const text = (await readBody(req, FAULT_BODY_LIMIT)).toString('utf8')
  let json: unknown
  try {
    json = text.trim() === '' ? {} : JSON.parse(text)
  } catch {
    return sendJson(res, 400, { error: 'fault config is not JSON' })
  }
  const parsed = FaultConfig.safeParse(json)
  if (!parsed.success)
    return sendJson(res, 400, { error: 'invalid fault config', issues: parsed.error.issues })
  sendJson(res, 200, ctx.faults.set(parsed.data))
}

export function resetAll(ctx: SandboxContext): void {
  ctx.store.reset()
  ctx.faults.resetCounters()
}

/** The query API under `/_sandbox/` and the overview page. Returns false when the route is not ours. */
export async function handleQuery(
  ctx: SandboxContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  baseUrl: string,
): Promise<boolean> {
  const route = `${req.method} ${url.pathname.replace(/\/$/, '') || '/'}`
  const stats = () => readStats(ctx.store.db, ctx.faults.counts())
  switch (route) {
    case 'GET /':
      sendText(res, 200, 'text/html; charset=utf-8', renderIndexPage(stats(), baseUrl, [...ctx.apiKeys]))
      return true
    case 'GET /_sandbox/stats':
      sendJson(res, 200, stats())
      return true
    case 'GET /_sandbox/events':
      sendJson(res, 200, ctx.store.events(eventFilterFrom(url.searchParams)))
      return true
    case 'GET /_sandbox/persons':
      sendJson(res, 200, readPersons(ctx.store.db, url.searchParams.get('distinct_id') ?? undefined))
      return true
    case 'GET /_sandbox/uuids':
      await streamUuids(ctx, res)
      return true
    case 'POST /_sandbox/reset':
      resetAll(ctx)
      sendJson(res, 200, { status: 'reset' })
      return true
    case 'GET /_sandbox/faults':
      sendJson(res, 200, ctx.faults.config())
      return true
    case 'POST /_sandbox/faults':
      await replaceFaults(ctx, req, res)
      return true
    default:
      return false
  }
}
