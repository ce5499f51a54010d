import { FatalError } from '../../contracts/errors.js'

/** How long the check may take before the job goes on without its answer. */
const CHECK_TIMEOUT_MS = 10_000

export interface KeyCheckOptions {
  /** Ingestion base URL, no trailing slash. */
  host: string
  apiKey: string
  where: string
  redact: (text: string) => string
  signal: AbortSignal
  timeoutMs?: number
}

/** What the check concluded; `unverified` says why there is no answer (the job goes on). */
export type KeyCheck = { verdict: 'known' } | { verdict: 'unverified'; reason: string }

/**
 * Asks PostHog whether it knows the project key, before anything is exported.
 *
 * Capture checks only a key's shape: it answers 200 to a key no project owns (a typo, a rotated key, a US
 * project's key sent to the EU host) and ingestion drops those events later, so a whole import would end
 * "done" with nothing kept (rust/capture/src/known_tokens.rs says so). The feature-flag service looks the
 * key up and answers 401 for an unknown one, so one `/flags` request tells. It asks for no flag
 * (`flag_keys: []`) and creates no person. Only that 401 stops the job; anything else (a self-hosted
 * instance or proxy without `/flags`, a timeout, an outage) leaves the answer to capture.
 */
export async function checkProjectKey(options: KeyCheckOptions): Promise<KeyCheck> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? CHECK_TIMEOUT_MS)
  let response: Response
  let text: string
  try {
    response = await fetch(`${options.host}/flags/?v=2`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'ph-import' },
      body: JSON.stringify({
        token: options.apiKey,
        distinct_id: 'ph-import-key-check',
        flag_keys: [],
        geoip_disable: true,
      }),
      signal: AbortSignal.any([options.signal, timeout]),
    })
    text = await response.text()
  } catch (error) {
    // Stopped (Ctrl-C): no answer, and the run that follows ends as interrupted, as any other stop does.
    if (options.signal.aborted) return { verdict: 'unverified', reason: 'the run was stopped' }
    const reason = timeout.aborted ? 'no answer in time' : ((error as Error).cause as Error)?.message
    return { verdict: 'unverified', reason: options.redact(reason ?? String(error)) }
  }
  if (response.ok) return { verdict: 'known' }
  const said = options.redact(text.trim().slice(0, 200))
  if (response.status !== 401)
    return { verdict: 'unverified', reason: `/flags answered HTTP ${response.status}` }
  throw new FatalError(
    `${options.where} does not know this project API key (/flags answered HTTP 401: ${said || 'no message'}); capture would accept the events and PostHog would drop them`,
    {
      hint:
        'copy the project API key (phc_...) from Project settings of the project you import into, and check ' +
        "that the host is that project's region: a US project's key is unknown on the EU host and the reverse " +
        '(--posthog-host us or eu). This run exported and sent nothing. If a proxy in front of PostHog answers /flags ' +
        'itself, pass --no-posthog-key-check',
    },
  )
}
