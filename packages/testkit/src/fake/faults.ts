import type { ServerResponse } from 'node:http'
import { type Random, seededRandom } from './random.js'

/** What the conformance suite needs from a connector's fake to test failure handling. */
export interface ConformanceFaults {
  /** The next `count` requests answer 429 with `Retry-After: retryAfterSeconds`. */
  rateLimitNext(count: number, retryAfterSeconds: number): void
  /** Every request from now on answers 401 (or 403) until `clear()`. */
  failAuth(status?: 401 | 403): void
  /** Optional: delay every response, so an abort lands while a request is in flight. */
  latency?(ms: number): void
  /** Optional: the next `count` requests answer `status` (503 by default), as an API having a bad minute. */
  serverErrorNext?(count: number, status?: number): void
  /** Optional: the next `count` responses send part of their body, then the connection is reset. */
  resetNext?(count: number): void
  /** Back to a healthy server. */
  clear(): void
}

/** Faults a loopback server applies before its handler; every field can be changed at runtime. */
export interface FaultPlan {
  /** Requests numbered (after, after + count] answer 429 with Retry-After. */
  rateLimit?: { after: number; count?: number; retryAfterSeconds?: number }
  /** Requests numbered (after, after + count] answer `status` (default 503). */
  serverErrorsNext?: { after: number; count: number; status?: number }
  /** A seeded share of requests answers 5xx (`rate` in [0, 1]). */
  serverErrors?: { rate: number; status?: number; seed?: number | string }
  /** Milliseconds added before every response. */
  latencyMs?: number
  /** The next `count` responses send part of their body, then the socket is destroyed. */
  resetMidBody?: { count: number; fraction?: number }
  /** Every request answers this status, as if the credentials were revoked. */
  authFailure?: 401 | 403
}

export type FaultOutcome =
  | { kind: 'pass' }
  | { kind: 'handled'; status: number }
  | { kind: 'cut'; fraction: number }

/**
 * Holds the fault plan of one fake server, counting requests so "429 after N requests" is exact
 * and seeded so "5% of requests fail" fails the same requests on every run.
 */
export class FaultController implements ConformanceFaults {
  private plan: FaultPlan
  private random: Random
  private count = 0

  constructor(plan: FaultPlan = {}) {
    this.plan = { ...plan }
    this.random = seededRandom(plan.serverErrors?.seed ?? 1)
  }

  /** Requests seen so far (each counts, faulted or not). */
  get requestCount(): number {
    return this.count
  }

  /** Merges into the plan; `undefined` turns a fault off. */
  set(plan: { [K in keyof FaultPlan]?: FaultPlan[K] | undefined }): void {
    const next: Record<string, unknown> = { ...this.plan, ...plan }
    for (const [k, v] of Object.entries(next)) if (v === undefined) delete next[k]
    this.plan = next as FaultPlan
    if (plan.serverErrors) this.random = seededRandom(plan.serverErrors.seed ?? 1)
  }

  current(): Readonly<FaultPlan> {
    return this.plan
  }

  rateLimitNext(count: number, retryAfterSeconds: number): void {
    this.set({ rateLimit: { after: this.count, count, retryAfterSeconds } })
  }

  failAuth(status: 401 | 403 = 401): void {
    this.set({ authFailure: status })
  }

  latency(ms: number): void {
    this.set({ latencyMs: ms })
  }

  serverErrorNext(count: number, status = 503): void {
    this.set({ serverErrorsNext: { after: this.count, count, status } })
  }

  resetNext(count: number): void {
    this.set({ resetMidBody: { count } })
  }

  clear(): void {
    this.plan = {}
  }

  /** Decides what happens to the next request; answers it when the fault is a status. */
  apply(res: ServerResponse): FaultOutcome {
    const n = ++this.count
    const plan = this.plan
    if (plan.authFailure) {
      sendJson(res, plan.authFailure, { error: 'invalid credentials' })
      return { kind: 'handled', status: plan.authFailure }
    }
    const rl = plan.rateLimit
    if (rl && n > rl.after && n <= rl.after + (rl.count ?? Number.POSITIVE_INFINITY)) {
      sendJson(res, 429, { error: 'rate limited' }, { 'retry-after': String(rl.retryAfterSeconds ?? 1) })
      return { kind: 'handled', status: 429 }
    }
    const next = plan.serverErrorsNext
    if (next && n > next.after && n <= next.after + next.count) {
      const status = next.status ?? 503
      sendJson(res, status, { error: 'server error (injected)' })
      return { kind: 'handled', status }
    }
    if (plan.serverErrors && this.random() < plan.serverErrors.rate) {
      const status = plan.serverErrors.status ?? 503
      sendJson(res, status, { error: 'server error (injected)' })
      return { kind: 'handled', status }
    }
    if (plan.resetMidBody && plan.resetMidBody.count > 0) {
      const fraction = plan.resetMidBody.fraction ?? 0.5
      this.set({
        resetMidBody:
          plan.resetMidBody.count > 1 ? { count: plan.resetMidBody.count - 1, fraction } : undefined,
      })
      return { kind: 'cut', fraction }
    }
    return { kind: 'pass' }
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  })
  res.end(text)
}

/**
 * Makes the response send only `fraction` of its body, declaring the full length, then destroy the
 * socket: the client sees a connection reset mid-body (ECONNRESET / premature close), like a proxy
 * dropping a long download.
 */
export function cutResponseMidBody(res: ServerResponse, fraction: number): void {
  const chunks: Buffer[] = []
  const toBuffer = (chunk: unknown) =>
    Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string | Uint8Array)
  res.write = ((chunk: unknown) => {
    chunks.push(toBuffer(chunk))
    return true
  }) as ServerResponse['write']
  res.end = ((chunk?: unknown) => {
    if (chunk !== undefined && typeof chunk !== 'function') chunks.push(toBuffer(chunk))
    const body = Buffer.concat(chunks)
    const cut = Math.max(1, Math.floor(body.length * fraction))
    // A handler that called writeHead itself (a proxy copying upstream headers) has fixed its headers already.
    if (!res.headersSent) res.setHeader('content-length', String(body.length))
    res.flushHeaders()
    res.socket?.write(body.subarray(0, Math.min(cut, body.length - 1)))
    res.socket?.destroy()
    return res
  }) as ServerResponse['end']
}
