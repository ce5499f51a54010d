import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { handleCapture } from './capture/handler.js'
import type { SandboxContext } from './context.js'
import { FaultInjector } from './faults/injector.js'
import { FLAGS_PATHS, handleFlags } from './flags/handler.js'
import { sendJson } from './http/respond.js'
import { type ActiveFaults, type FaultConfig, SandboxOptions } from './options.js'
import { handleHogQL, QUERY_PATH } from './query/hogql.js'
import { handleQuery, resetAll } from './query/routes.js'
import { EventStore } from './store/event-store.js'
import { readPersons, readStats } from './store/queries.js'
import type { EventFilter, PersonsView, SandboxStats, StoredEvent } from './types.js'

/** The capture routes of rust/capture/src/router.rs, with and without the trailing slash. */
const CAPTURE_PATHS = new Set(['/batch', '/e', '/i/v0/e', '/capture', '/track', '/engage'])

export interface Sandbox {
  /** Base URL to use as the PostHog host, e.g. http://127.0.0.1:8010 */
  readonly url: string
  readonly port: number
  readonly apiKeys: readonly string[]
  stats(): SandboxStats
  /** Stored receipts in arrival order; no limit unless given. */
  events(filter?: EventFilter): StoredEvent[]
  uniqueUuids(): Set<string>
  persons(filter?: { distinct_id?: string }): PersonsView
  faults(): ActiveFaults
  setFaults(faults: FaultConfig): ActiveFaults
  /** Deletes every event, request log and fault counter. */
  reset(): void
  close(): Promise<void>
}

async function route(ctx: SandboxContext, req: IncomingMessage, res: ServerResponse, baseUrl: string) {
  const url = new URL(req.url ?? '/', baseUrl)
  const path = url.pathname.length > 1 ? url.pathname.replace(/\/$/, '') : url.pathname
  if (CAPTURE_PATHS.has(path)) {
    if (req.method === 'POST') return handleCapture(ctx, req, res, url)
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Headers': '*' }).end()
      return
    }
    return sendJson(res, 405, { error: 'capture takes POST' }, { Allow: 'POST, OPTIONS' })
  }
  if (FLAGS_PATHS.has(path)) return handleFlags(ctx, req, res)
  const project = QUERY_PATH.exec(path)?.[1]
  if (project !== undefined) return handleHogQL(ctx, req, res, project)
  if (!(await handleQuery(ctx, req, res, url, baseUrl)))
    sendJson(res, 404, { error: `no route ${url.pathname}` })
}

/** Starts a PostHog-compatible capture server on 127.0.0.1 backed by SQLite. */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const resolved = SandboxOptions.parse(options)
  const store = new EventStore(resolved.dataDir)
  const ctx: SandboxContext = {
    options: resolved,
    apiKeys: new Set(resolved.apiKeys),
    store,
    faults: new FaultInjector(resolved.faults, resolved.seed),
  }
  let baseUrl = ''
  const server = createServer((req, res) => {
    route(ctx, req, res, baseUrl).catch((error: unknown) => {
      console.error('[sandbox] request failed', error)
      if (!res.headersSent) sendJson(res, 500, { error: 'internal sandbox error' })
      else res.destroy()
    })
  })
  server.keepAliveTimeout = 30_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(resolved.port, resolved.host, () => resolve())
  }).catch((error: unknown) => {
    store.close()
    throw error
  })
  const port = (server.address() as AddressInfo).port
  baseUrl = `http://${resolved.host}:${port}`
  return {
    url: baseUrl,
    port,
    apiKeys: resolved.apiKeys,
    stats: () => readStats(store.db, ctx.faults.counts()),
    events: (filter) => store.events(filter),
    uniqueUuids: () => new Set(store.uniqueUuids()),
    persons: (filter) => readPersons(store.db, filter?.distinct_id),
    faults: () => ctx.faults.config(),
    setFaults: (faults) => ctx.faults.set(faults),
    reset: () => resetAll(ctx),
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      store.close()
    },
  }
}
