import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gzipSync } from 'node:zlib'
import { mulberry32 } from './fake-data.js'
import { handleEngage } from './fake-engage.js'
import { type ExportRequest, handleExport } from './fake-export.js'
import { DEFAULT_LIMITS, type FakeLimitOptions, ProjectLimits } from './fake-limits.js'
import {
  authenticate,
  type FakePlan,
  type FakeProject,
  type FakeProjectOptions,
  PLAN_BODY,
  resolveProject,
} from './fake-projects.js'

export interface FakeMixpanelOptions {
  seed?: number
  /** Default 0 (any free port on 127.0.0.1). */
  port?: number
  /** Default: one generated project (id 1234, UTC, created 2024, two weeks of March 2024). */
  projects?: FakeProjectOptions[]
  limits?: Partial<FakeLimitOptions>
  /** The fake's "now" (for `today` and late data); default the wall clock. */
  now?: Date | number
  engagePageSize?: number
  /**
   * Status for credentials that match no project: 401 (default), or the 400 "Unable to authenticate
   * request" some Mixpanel endpoints answer instead.
   */
  authFailureStatus?: 400 | 401
}

/** Fault knobs: counts apply to the next N matching requests (after auth and rate limits). */
export interface FakeFaults {
  serverErrors: number
  resets: number
  terminatedEarly: number
  /** Applies to gzipped export answers only. */
  truncatedGzip: number
  engageServerErrors: number
  /** A 429 with none of the rate-limit headers, as Mixpanel sheds load (export and engage alike). */
  loadShed: number
  /** Hold every answer this long (to build concurrency). */
  delayMs: number
}

export interface FakeRequestLog {
  at: number
  endpoint: 'export' | 'engage' | 'other'
  projectId: number | undefined
  status: number
  params: Record<string, string>
  counted: boolean
  gzip: boolean
}

export interface FakeMixpanel {
  url: string
  projects: readonly FakeProject[]
  project(id?: number): FakeProject
  requests(): FakeRequestLog[]
  setFaults(faults: Partial<FakeFaults>): void
  faults(): FakeFaults
  resetRateLimits(): void
  countedLastHour(projectId?: number): number
  setNow(now: Date | number | undefined): void
  setPlan(projectId: number, plan: FakePlan): void
  close(): Promise<void>
}

const NO_FAULTS: FakeFaults = {
  serverErrors: 0,
  resets: 0,
  terminatedEarly: 0,
  truncatedGzip: 0,
  engageServerErrors: 0,
  loadShed: 0,
  delayMs: 0,
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * A faithful local Mixpanel: raw export (`/api/2.0/export`) and Engage (`/api/query/engage`,
 * `/api/2.0/engage`), with Mixpanel's limits, odd bodies and failures on demand. 127.0.0.1 only.
 */
export async function startFakeMixpanel(options: FakeMixpanelOptions = {}): Promise<FakeMixpanel> {
  const seed = options.seed ?? 42
  const projects = (options.projects ?? [{}]).map((p, i) => resolveProject(seed, p, i))
  const limitOptions = { ...DEFAULT_LIMITS, ...options.limits }
  const limits = new Map(projects.map((p) => [p.id, new ProjectLimits(limitOptions)]))
  const log: FakeRequestLog[] = []
  let faults = { ...NO_FAULTS }
  let fixedNow = options.now === undefined ? undefined : Number(options.now)
  const now = () => fixedNow ?? Date.now()
  const orderRand = mulberry32(seed ^ 0x0de5)
  /** Spends one of the next-N fault counts, if any is left. */
  const take = (k: Exclude<keyof FakeFaults, 'delayMs'>): boolean => {
    if (faults[k] <= 0) return false
    faults[k]--
    return true
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const body = req.method === 'POST' ? await readBody(req) : ''
    const params = Object.fromEntries(url.searchParams)
    if (req.method === 'POST' && /x-www-form-urlencoded/.test(req.headers['content-type'] ?? '')) {
      Object.assign(params, Object.fromEntries(new URLSearchParams(body)))
    }
    const endpoint =
      url.pathname === '/api/2.0/export'
        ? 'export'
        : /^\/api\/(query|2\.0)\/engage$/.test(url.pathname)
          ? 'engage'
          : 'other'
    const entry: FakeRequestLog = {
      at: Date.now(),
      endpoint,
      projectId: undefined,
      status: 0,
      params,
      counted: false,
      gzip: false,
    }
    log.push(entry)
    const send = (status: number, text: string, headers: Record<string, string> = {}) => {
      entry.status = status
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers }).end(text)
    }
    if (endpoint === 'other') return send(404, 'Not found')
    const auth = authenticate(projects, req.headers.authorization, params.project_id ?? null)
    if ('status' in auth) {
      if (auth.status === 401 && options.authFailureStatus === 400)
        return send(400, 'Unable to authenticate request')
      return send(auth.status, auth.body)
    }
    const project = auth.project
    entry.projectId = project.id
    if (project.plan === 'none' || (project.plan === 'free' && endpoint === 'engage')) {
      return send(402, PLAN_BODY, { 'content-type': 'application/json' })
    }
    // Engage pages after the first carry a session_id and are not counted (mixpanel-headless pacer).
    entry.counted = endpoint === 'export' || !params.session_id
    const projectLimits = limits.get(project.id) as ProjectLimits
    const verdict = projectLimits.admit(project.id, entry.counted)
    if (verdict) {
      entry.counted = false
      const request = `https://mixpanel.com${url.pathname}?project_id=${project.id}`
      return send(429, JSON.stringify({ request, error: verdict.error }), {
        'content-type': 'application/json',
        'retry-after': String(verdict.retryAfterSeconds),
        'ratelimit-policy': `"project";q=${limitOptions.perHour};w=3600, "project-concurrency";q=${limitOptions.concurrent};qu="concurrent-requests"`,
        ratelimit: `"project";r=0;t=${verdict.retryAfterSeconds}`,
      })
    }
    if (take('loadShed')) {
      entry.counted = false
      return send(429, JSON.stringify({ error: 'Too many requests; please try again later' }), {
        'content-type': 'application/json',
      })
    }
    projectLimits.inFlight++
    res.once('close', () => projectLimits.inFlight--)
    if (faults.delayMs > 0) await new Promise((r) => setTimeout(r, faults.delayMs))
    if (endpoint === 'engage') {
      if (take('engageServerErrors')) return send(500, 'Internal Server Error')
      const out = handleEngage(project, params, options.engagePageSize ?? 1000)
      return send(out.status, out.body, { 'content-type': 'application/json' })
    }
    if (take('serverErrors')) return send(503, 'Service Unavailable')
    const ask: ExportRequest = { params, now: now(), rand: orderRand }
    const out = handleExport(project, ask)
    if (out.status !== 200) return send(out.status, out.body)
    let text = out.body
    // One body fault per answer, so each knob shows up as exactly one failed download.
    const early = take('terminatedEarly')
    if (early) {
      const lines = text.split('\n')
      text = `${lines.slice(0, Math.floor(lines.length / 2)).join('\n')}\nterminated early\n`
    }
    let bytes = Buffer.from(text, 'utf8')
    // Mixpanel docs: gzip only when asked and the body is over 1,400 bytes.
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')) && bytes.length > 1400
    if (gzip) bytes = gzipSync(bytes)
    entry.gzip = gzip
    entry.status = 200
    res.writeHead(200, {
      'content-type': 'text/plain; charset=utf-8',
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    })
    if (!early && take('resets')) {
      res.write(bytes.subarray(0, Math.floor(bytes.length / 2)))
      setTimeout(() => res.socket?.destroy(), 10)
      return
    }
    if (!early && gzip && take('truncatedGzip')) bytes = bytes.subarray(0, bytes.length - 64)
    for (let i = 0; i < bytes.length; i += 16_384) res.write(bytes.subarray(i, i + 16_384))
    res.end()
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String((error as Error).message))
      else res.destroy()
    })
  })
  await new Promise<void>((resolve, reject) => {
    // A port in use rejects (with the port), rather than crash the process as an unhandled 'error' event.
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', resolve)
  })
  const { port } = server.address() as AddressInfo
  const find = (id?: number) => {
    const p = id === undefined ? projects[0] : projects.find((x) => x.id === id)
    if (!p) throw new Error(`fake Mixpanel has no project ${id}`)
    return p
  }
  return {
    url: `http://127.0.0.1:${port}`,
    projects,
    project: find,
    requests: () => [...log],
    setFaults: (f) => {
      faults = { ...faults, ...f }
    },
    faults: () => ({ ...faults }),
    resetRateLimits: () => {
      for (const l of limits.values()) l.reset()
    },
    countedLastHour: (id) => (limits.get(find(id).id) as ProjectLimits).countedLastHour(),
    setNow: (value) => {
      fixedNow = value === undefined ? undefined : Number(value)
    },
    setPlan: (id, plan) => {
      find(id).plan = plan
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
