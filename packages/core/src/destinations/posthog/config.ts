import { z } from 'zod'
import { field, formatConfigIssues, secret } from '../../contracts/config.js'
import { ConfigError } from '../../contracts/errors.js'

export const US_INGESTION_HOST = 'https://us.i.posthog.com'
export const EU_INGESTION_HOST = 'https://eu.i.posthog.com'

/** The cloud app hosts serve the private API, not capture; people paste them from the browser bar. */
const APP_HOSTS: Record<string, string> = {
  'us.posthog.com': US_INGESTION_HOST,
  'app.posthog.com': US_INGESTION_HOST,
  'posthog.com': US_INGESTION_HOST,
  'eu.posthog.com': EU_INGESTION_HOST,
}

/** Key prefixes that are not project API keys; capture answers 401 for them, so refuse them up front. */
const NOT_PROJECT_KEYS: Record<string, string> = {
  phx_: 'a personal API key (phx_...)',
  phs_: 'a project secret API key (phs_...)',
}

export const PostHogDestinationConfig = z.object({
  host: field(
    z
      .string()
      .trim()
      .min(1)
      .default(US_INGESTION_HOST)
      .describe(
        'PostHog ingestion host: "us", "eu" (PostHog Cloud) or the URL of a self-hosted instance (e.g. https://posthog.example.com)',
      ),
    { env: 'POSTHOG_HOST' },
  ),
  apiKey: secret(
    z
      .string()
      .trim()
      .min(1, 'the project API key is required')
      .superRefine((key, ctx) => {
        for (const [prefix, what] of Object.entries(NOT_PROJECT_KEYS)) {
          if (key.startsWith(prefix)) {
            ctx.addIssue({
              code: 'custom',
              message: `${what} is not a project API key: use the project API key (phc_...) from your PostHog project settings`,
            })
          }
        }
      })
      .describe('PostHog project API key (phc_...), from Project settings → Project API key'),
    { env: 'POSTHOG_PROJECT_API_KEY' },
  ),
  timeoutMs: z
    .number()
    .int()
    .positive()
    .default(60_000)
    .describe('Milliseconds to wait for PostHog to answer one batch before retrying it'),
  transport: z
    .enum(['fetch', 'posthog-node'])
    .default('fetch')
    .describe(
      'How batches are sent: "fetch" (ph-import\'s own /batch/ sender, fastest) or "posthog-node" (the official client)',
    ),
  gzip: z.boolean().default(true).describe('Gzip request bodies (level 1: cheap on CPU, ~10x smaller)'),
  checkKey: z
    .boolean()
    .default(true)
    .describe(
      'Before exporting, ask PostHog (/flags) whether it knows the project key: capture accepts an unknown key and drops its events',
    ),
})
export type PostHogDestinationConfig = z.infer<typeof PostHogDestinationConfig>
/** What callers pass: every field but `apiKey` has a default. */
export type PostHogDestinationOptions = z.input<typeof PostHogDestinationConfig>

export interface ResolvedHost {
  /** Origin plus any self-hosted path prefix, without a trailing slash. */
  url: string
  /** Set when the given host was corrected; worth a warning. */
  note?: string
}

/**
 * Turns what a user typed into the ingestion base URL: `us`/`eu` shorthands, a missing scheme, an app
 * host (us.posthog.com → us.i.posthog.com) or a pasted `/batch/` path are corrected with a note.
 */
export function resolveHost(input: string): ResolvedHost {
  const raw = input.trim()
  const lower = raw.toLowerCase()
  if (lower === 'us') return { url: US_INGESTION_HOST }
  if (lower === 'eu') return { url: EU_INGESTION_HOST }
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}`
  let url: URL
  try {
    url = new URL(withScheme)
  } catch (error) {
    throw new ConfigError(`host "${raw}" is not a URL`, {
      cause: error,
      hint: 'use "us", "eu" or your self-hosted URL, e.g. https://posthog.example.com',
    })
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`host "${raw}" must be an http(s) URL`, {
      hint: 'use "us", "eu" or an https:// URL',
    })
  }
  if (url.username || url.password || url.search) {
    throw new ConfigError('host must not carry credentials or a query string', {
      hint: 'pass the project API key with --posthog-key or POSTHOG_PROJECT_API_KEY',
    })
  }
  const notes: string[] = []
  const appHost = APP_HOSTS[url.hostname.toLowerCase()]
  if (appHost) {
    notes.push(`${url.hostname} is PostHog's app host, not its ingestion host: sending to ${appHost} instead`)
    return { url: appHost, note: notes.join('; ') }
  }
  let pathname = url.pathname.replace(/\/+$/, '')
  const pasted = /\/(batch|capture|e|i\/v0\/e)$/i.exec(pathname)
  if (pasted) {
    pathname = pathname.slice(0, pasted.index)
    notes.push(`the host should not include the /${pasted[1]}/ path: using ${url.origin}${pathname}`)
  }
  const resolved = `${url.origin}${pathname}`
  return notes.length > 0 ? { url: resolved, note: notes.join('; ') } : { url: resolved }
}

/** Parses caller options into the config, turning schema failures into a ConfigError naming the field. */
export function parsePostHogConfig(options: PostHogDestinationOptions): PostHogDestinationConfig {
  const parsed = PostHogDestinationConfig.safeParse(options)
  if (!parsed.success) {
    throw new ConfigError(`invalid PostHog destination config:\n${formatConfigIssues(parsed.error)}`, {
      hint: 'check --posthog-host and --posthog-key (or POSTHOG_HOST and POSTHOG_PROJECT_API_KEY)',
    })
  }
  return parsed.data
}
