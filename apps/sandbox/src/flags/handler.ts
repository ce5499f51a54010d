import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { SandboxContext } from '../context.js'
import { readBody } from '../http/body.js'
import { sendJson, sendText } from '../http/respond.js'

/** The feature-flag routes (rust/feature-flags): `/flags` and the older `/decide`. */
export const FLAGS_PATHS = new Set(['/flags', '/decide'])

const MAX_BODY_BYTES = 1024 * 1024

const text = (res: ServerResponse, status: number, message: string) =>
  sendText(res, status, 'text/plain; charset=utf-8', message)

interface FlagRequest {
  token?: unknown
  api_key?: unknown
  $token?: unknown
  distinct_id?: unknown
}

/**
 * Feature-flag evaluation, as far as a key check needs it. Unlike capture, this service looks the project
 * key up and answers 401 for one no project owns, so clients use it to learn whether a key is real. Its
 * errors are plain text (rust/feature-flags/src/api/errors.rs). The sandbox has no flags: a known key gets
 * an empty set.
 */
export async function handleFlags(ctx: SandboxContext, req: IncomingMessage, res: ServerResponse) {
  if (!ctx.options.flagsEndpoint) return sendJson(res, 404, { error: `no route ${req.url}` })
  if (req.method !== 'POST') return text(res, 405, 'Method Not Allowed')
  const contentType = req.headers['content-type'] ?? 'unknown'
  if (contentType !== 'application/json') {
    return text(res, 400, `Failed to decode request: unsupported content type: ${contentType}`)
  }
  let request: FlagRequest
  try {
    request = (JSON.parse((await readBody(req, MAX_BODY_BYTES)).toString('utf8')) as FlagRequest | null) ?? {}
  } catch (error) {
    return text(res, 400, `Failed to parse request: ${(error as Error).message}`)
  }
  // The service reads the distinct id before the token, so a request without one never reaches the check.
  if (request.distinct_id === undefined || request.distinct_id === null) {
    return text(
      res,
      400,
      'The distinct_id field is missing from the request. Please include a valid identifier.',
    )
  }
  const token = request.token ?? request.api_key ?? request.$token
  if (typeof token !== 'string' || token === '') {
    return text(res, 401, 'No API token provided. Please include a valid API token in your request.')
  }
  if (!ctx.apiKeys.has(token)) {
    return text(
      res,
      401,
      'The provided API key is invalid or has expired. Please check your API key and try again.',
    )
  }
  sendJson(res, 200, { flags: {}, errorsWhileComputingFlags: false, requestId: randomUUID() })
}
