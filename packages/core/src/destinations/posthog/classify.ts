import {
  BatchTooLargeError,
  FatalError,
  type PhImportError,
  RejectedEventsError,
  RetriableError,
} from '../../contracts/errors.js'
import { parseRetryAfter } from '../../runtime/http.js'

export interface CaptureResponse {
  status: number
  /** The response body, already read (capture's bodies are a few bytes of text or JSON). */
  body: string
  retryAfter: string | null
}

const MAX_SERVER_MESSAGE = 500

/** Capture answers plain text or JSON with one of these fields; keep the human part. */
function serverMessage(body: string): string {
  const text = body.trim()
  try {
    const json = JSON.parse(text) as Record<string, unknown>
    for (const key of ['detail', 'error', 'message', 'reason']) {
      const v = json[key]
      if (typeof v === 'string' && v !== '') return v.slice(0, MAX_SERVER_MESSAGE)
    }
  } catch {
    // plain text
  }
  return text.slice(0, MAX_SERVER_MESSAGE) || '(empty response body)'
}

/**
 * Capture validates a request as a unit and names no culprit, but a proxy or the sandbox may:
 * `{"index": 3}`, `{"indexes": [3, 7]}` or `batch[3]` in the text. Unknown → the runtime bisects.
 */
function rejectedIndexes(body: string): number[] | undefined {
  try {
    const json = JSON.parse(body) as Record<string, unknown>
    const list = json.indexes ?? json.index ?? json.event_index
    const values = Array.isArray(list) ? list : [list]
    const ints = values.filter((v): v is number => Number.isInteger(v) && (v as number) >= 0)
    if (ints.length > 0) return ints
  } catch {
    // plain text
  }
  const found = [...body.matchAll(/\bbatch\[(\d+)\]/g)].map((m) => Number(m[1]))
  return found.length > 0 ? [...new Set(found)] : undefined
}

/**
 * Capture's answers for a body it cannot read as a whole (rust/capture CaptureError: RequestDecodingError,
 * EmptyBatch). "failed to parse request" is not one: an event capture cannot parse (a lone surrogate) fails
 * the whole batch with it, and bisection finds that event.
 */
const REQUEST_LEVEL_400 = /^(failed to decode request\b|request holds no event\b)/

/** Maps a non-2xx capture answer to what the runtime should do; the key is redacted from server text. */
export function classifyResponse(
  where: string,
  response: CaptureResponse,
  redact: (text: string) => string,
): PhImportError {
  const { status } = response
  const message = redact(serverMessage(response.body))
  if (status === 400) {
    // Capture could not read the body at all: no event is at fault, and bisecting would dead-letter them all.
    if (REQUEST_LEVEL_400.test(message)) {
      return new FatalError(`${where}: HTTP 400, PostHog could not read the request (${message})`, {
        hint:
          'the request body was refused, not an event: check that --posthog-host points at PostHog capture and ' +
          'that no proxy in between alters request bodies, then re-run the same command (nothing was dead-lettered)',
      })
    }
    const indexes = rejectedIndexes(response.body)
    return new RejectedEventsError(message, indexes ? { indexes } : {})
  }
  if (status === 401 || status === 403) {
    return new FatalError(`${where}: HTTP ${status}, the project API key was refused (${message})`, {
      hint:
        'use the project API key (phc_...) of the project you import into, from Project settings; a personal key (phx_...) is not a project key; ' +
        "check the host matches the project's region (US: --posthog-host us, EU: --posthog-host eu, or your self-hosted URL)",
    })
  }
  if (status === 413) return new BatchTooLargeError(`${where}: HTTP 413, batch too large (${message})`)
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(response.retryAfter)
    return new RetriableError(`${where}: HTTP 429, rate limited (${message})`, {
      rateLimited: true,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    })
  }
  if (status === 408 || status >= 500) {
    const retryAfterMs = parseRetryAfter(response.retryAfter)
    return new RetriableError(`${where}: HTTP ${status} (${message})`, {
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    })
  }
  if (status === 404 || status === 405) {
    return new FatalError(`${where}: HTTP ${status}, no capture endpoint at this host (${message})`, {
      hint: 'point --posthog-host at the ingestion host (us, eu, or your self-hosted URL), not the app or a proxy path',
    })
  }
  return new FatalError(`${where}: HTTP ${status} (${message})`)
}

/** TLS failures do not heal by retrying; everything else on the network path might. */
const FATAL_NETWORK_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_INVALID_URL',
])

/** The deepest message in an error's cause chain: fetch's own ("fetch failed") says nothing. */
function innermostMessage(error: unknown): string {
  let current: unknown = error
  let message = current instanceof Error ? current.message : String(current)
  for (let i = 0; i < 5; i++) {
    current = (current as { cause?: unknown } | undefined)?.cause
    if (!(current instanceof Error) || !current.message) break
    message = current.message
  }
  return message
}

function errorCode(error: unknown): string | undefined {
  let current: unknown = error
  for (let i = 0; i < 5 && current && typeof current === 'object'; i++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string') return code
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}

/** A fetch that threw: connection refused/reset, DNS, a timeout, a cut body. Retriable unless TLS is broken. */
export function classifyNetworkError(where: string, error: unknown, timedOutAfterMs?: number): PhImportError {
  if (timedOutAfterMs !== undefined) {
    return new RetriableError(`${where}: no answer within ${timedOutAfterMs} ms`, { cause: error })
  }
  const code = errorCode(error)
  const detail = code ?? innermostMessage(error)
  // fetch refuses the ports the WHATWG fetch spec blocks (9, 25, 6000, …) before connecting, every time.
  if (detail === 'bad port') {
    return new FatalError(
      `${where}: fetch will not connect to this port (the fetch standard blocks 9, 25, 6000 and others)`,
      {
        cause: error,
        hint: 'serve PostHog on another port (the sandbox defaults to 8010) and point --posthog-host at it',
      },
    )
  }
  // https:// to a server that answers plain HTTP (a host given without a scheme is taken as https): no
  // retry can succeed.
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER') {
    return new FatalError(`${where}: the server does not speak TLS (${code})`, {
      cause: error,
      hint: 'it answers plain HTTP: give --posthog-host as http://host:port (a host without a scheme is taken as https://)',
    })
  }
  if (code && FATAL_NETWORK_CODES.has(code)) {
    return new FatalError(`${where}: ${detail}`, {
      cause: error,
      hint: 'check the host URL and its TLS certificate (or NODE_EXTRA_CA_CERTS for a private CA)',
    })
  }
  return new RetriableError(`${where}: network error ${detail}`, { cause: error })
}
