import type { IncomingMessage, ServerResponse } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import type { SandboxContext } from '../context.js'
import { decodeBody, readBody } from '../http/body.js'
import { sendJson } from '../http/respond.js'
import { CaptureError, invalidToken, rateLimited, retryable, UNKNOWN_KEY_NOTE } from './errors.js'
import { type AcceptedEvent, acceptEvent } from './normalize.js'
import { parseCaptureBody, type RawRequest } from './parse.js'

interface Outcome {
  error: CaptureError | undefined
  /** Kept in the request log beside a 200: why its events were not stored. */
  note?: string
  headers?: Record<string, string>
  raw?: RawRequest
  events?: readonly AcceptedEvent[]
}

/** True for a key the sandbox knows; throws for one capture refuses; false for one it accepts and drops. */
function checkToken(token: string, ctx: SandboxContext): boolean {
  if (ctx.apiKeys.has(token)) return true
  // Capture refuses personal keys by prefix (InvalidTokenReason::PersonalApiKey).
  if (token.startsWith('phx_')) {
    throw invalidToken('phx_ keys are personal API keys; send the project API key (phc_...) instead')
  }
  // Capture checks a key's shape only (rust/capture/src/token.rs): an unknown one is accepted and its events
  // dropped later in ingestion, unless the deployment enforces its known-token list (known_tokens.rs).
  if (ctx.options.unknownKeys === 'refuse') {
    throw invalidToken('unknown project API key (the sandbox accepts the keys given with --api-key)')
  }
  return false
}

function injectedError(status: number): CaptureError {
  if (status === 429) return rateLimited()
  if (status === 503) return retryable()
  return new CaptureError(status, 'InjectedFault', `injected failure (HTTP ${status})`)
}

function validate(ctx: SandboxContext, req: IncomingMessage, body: Buffer, url: URL) {
  const { maxBodyBytes, maxEventBytes } = ctx.options
  const decoded = decodeBody(
    body,
    req.headers['content-encoding'],
    url.searchParams.get('compression'),
    maxBodyBytes,
  )
  const raw = parseCaptureBody(decoded)
  const known = checkToken(raw.token, ctx)
  const now = Date.now()
  return {
    raw,
    known,
    events: raw.events.map((event, index) => acceptEvent(event, index, now, maxEventBytes)),
  }
}

function sentAtSkewMs(raw: RawRequest | undefined): number | undefined {
  const sentAt = raw?.sentAt === undefined ? Number.NaN : Date.parse(raw.sentAt)
  return Number.isNaN(sentAt) ? undefined : Date.now() - sentAt
}

/** Runs capture's checks, then the configured faults, then stores. Never throws. */
function evaluate(ctx: SandboxContext, req: IncomingMessage, body: Buffer, url: URL): Outcome {
  const early = ctx.faults.early()
  if (early.kind === 'status') {
    const headers: Record<string, string> = early.status === 429 ? { 'Retry-After': '1' } : {}
    return { error: injectedError(early.status), headers }
  }
  const { raw, known, events } = validate(ctx, req, body, url)
  if (!known) return { error: undefined, note: UNKNOWN_KEY_NOTE, raw, events: [] }
  const retryAfter = ctx.faults.rateLimit(events.length)
  if (retryAfter !== undefined) {
    return { error: rateLimited(), headers: { 'Retry-After': String(retryAfter) }, raw, events: [] }
  }
  // Capture produces to Kafka event by event and fails on the first error, so a 503 may follow a partial write.
  const keep = ctx.faults.partialWrite(events.length)
  if (keep !== undefined) return { error: retryable(), raw, events: events.slice(0, keep) }
  // PostHog answers 200 and drops the events of a project over its quota: only counting afterwards shows it.
  if (ctx.faults.overQuota()) return { error: undefined, raw, events: [] }
  return { error: undefined, raw, events }
}

export async function handleCapture(
  ctx: SandboxContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  let body: Buffer
  let outcome: Outcome | undefined
  try {
    body = await readBody(req, ctx.options.maxBodyBytes)
  } catch (error) {
    if (!(error instanceof CaptureError)) return // the client went away mid-body
    body = Buffer.alloc(0)
    outcome = { error }
  }
  const delay = ctx.faults.delayMs()
  if (delay > 0) await sleep(delay)
  if (ctx.faults.shouldDrop()) {
    req.socket.destroy()
    return
  }
  try {
    outcome ??= evaluate(ctx, req, body, url)
  } catch (error) {
    if (!(error instanceof CaptureError)) console.error('[sandbox] unexpected error in capture', error)
    outcome = {
      error: error instanceof CaptureError ? error : new CaptureError(500, 'Internal', String(error)),
    }
  }
  outcome ??= { error: undefined }
  const status = outcome.error?.status ?? 200
  ctx.store.record(
    {
      route: url.pathname,
      status,
      events: outcome.raw?.events.length ?? 0,
      bytes: body.length,
      sentAtSkewMs: sentAtSkewMs(outcome.raw),
      error: outcome.error?.message ?? outcome.note,
    },
    outcome.events ?? [],
    outcome.raw?.historical ?? false,
  )
  if (outcome.error) sendJson(res, status, outcome.error.toBody(), outcome.headers)
  else sendJson(res, 200, { status: 1 })
}
