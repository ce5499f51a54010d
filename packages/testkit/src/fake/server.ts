import { timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { cutResponseMidBody, FaultController, type FaultPlan, sendJson } from './faults.js'

export interface LoopbackAuth {
  basic?: Array<{ user: string; password: string }>
  bearer?: string[]
}

export interface LoopbackRequest {
  /** 1-based, in arrival order (faulted requests count too). */
  index: number
  method: string
  url: URL
  headers: IncomingMessage['headers']
  body: Buffer
  /** Set when the response finished (or the socket was cut: `cut` is then true). */
  status?: number
  cut?: boolean
  /** Arrival time, epoch ms: lets a test see that a client waited out a Retry-After. */
  at: number
}

export interface HandlerContext {
  url: URL
  body: Buffer
  request: LoopbackRequest
  /** Which credential matched, for fakes that serve one data set per key. */
  principal: string | undefined
}

export type LoopbackHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  ctx: HandlerContext,
) => void | Promise<void>

export interface LoopbackServerOptions {
  handler: LoopbackHandler
  /** Without auth, every request is let through. */
  auth?: LoopbackAuth
  faults?: FaultPlan
  /** Default 0: a free port. */
  port?: number
}

export interface LoopbackServer {
  url: string
  port: number
  /** Every request so far (live array). */
  requests: LoopbackRequest[]
  faults: FaultController
  close(): Promise<void>
}

function sleep(ms: number, timers: Set<NodeJS.Timeout>) {
  return new Promise<void>((resolve) => {
    const t = setTimeout(() => {
      timers.delete(t)
      resolve()
    }, ms)
    timers.add(t)
  })
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/** The matching credential's name, `undefined` when there is no auth, `null` when refused. */
function authenticate(req: IncomingMessage, auth: LoopbackAuth | undefined): string | undefined | null {
  if (!auth || (!auth.basic?.length && !auth.bearer?.length)) return undefined
  const header = req.headers.authorization ?? ''
  const [scheme, value = ''] = header.split(' ', 2)
  if (scheme?.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    const user = decoded.slice(0, colon)
    const password = decoded.slice(colon + 1)
    const match = auth.basic?.find((c) => same(c.user, user) && same(c.password, password))
    return match ? match.user : null
  }
  if (scheme?.toLowerCase() === 'bearer') {
    return auth.bearer?.some((token) => same(token, value)) ? 'bearer' : null
  }
  return null
}

/**
 * An HTTP server on 127.0.0.1 for fake source APIs: auth, a request log and the fault plan are
 * handled here, so a fake is only its handler. Faults apply before auth and the handler.
 */
export async function startLoopbackServer(options: LoopbackServerOptions): Promise<LoopbackServer> {
  const faults = new FaultController(options.faults)
  const requests: LoopbackRequest[] = []
  const timers = new Set<NodeJS.Timeout>()
  let closing = false

  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const entry: LoopbackRequest = {
      index: requests.length + 1,
      method: req.method ?? 'GET',
      url,
      headers: req.headers,
      body: Buffer.concat(chunks),
      at: Date.now(),
    }
    requests.push(entry)
    res.on('finish', () => {
      entry.status = res.statusCode
    })
    const latency = faults.current().latencyMs
    if (latency) await sleep(latency, timers)
    if (closing || res.destroyed) return
    const outcome = faults.apply(res)
    if (outcome.kind === 'handled') return
    const principal = authenticate(req, options.auth)
    if (principal === null) {
      return sendJson(res, 401, { error: 'invalid credentials' }, { 'www-authenticate': 'Basic, Bearer' })
    }
    if (outcome.kind === 'cut') {
      entry.cut = true
      cutResponseMidBody(res, outcome.fraction)
    }
    try {
      await options.handler(req, res, { url, body: entry.body, request: entry, principal })
    } catch (error) {
      if (!res.headersSent) sendJson(res, 500, { error: `fake handler failed: ${(error as Error).message}` })
      else res.destroy()
    }
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    faults,
    close: () =>
      new Promise<void>((resolve) => {
        closing = true
        for (const t of timers) clearTimeout(t)
        timers.clear()
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
