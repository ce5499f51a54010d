import { type Destination, defineDestination } from '../../contracts/destination.js'
import type { Logger } from '../../util/logger.js'
import { createRedactor } from '../../util/redact.js'
import { contentHash } from '../../util/uuid.js'
import { checkProjectKey } from './check-key.js'
import {
  type PostHogDestinationConfig,
  type PostHogDestinationOptions,
  PostHogDestinationConfig as PostHogDestinationSchema,
  parsePostHogConfig,
  resolveHost,
} from './config.js'
import { createFetchTransport, type TransportOptions } from './fetch-transport.js'
import { createPostHogNodeTransport } from './posthog-node-transport.js'

export interface PostHogDestinationContext {
  /** Receives the note when the host was corrected (e.g. an app host given for ingestion). */
  logger?: Logger
}

/**
 * Sends batches to PostHog's /batch/ capture endpoint with `historical_migration: true`, and classifies
 * every answer for the runtime (which owns retries, splitting and pacing): 200 acknowledges, 400 rejects
 * events (bisected), 401/403 stop the job, 413 splits, 429 slows the job, 408/5xx/network retry.
 */
export function createPostHogDestination(
  options: PostHogDestinationOptions,
  context: PostHogDestinationContext = {},
): Destination {
  const config: PostHogDestinationConfig = parsePostHogConfig(options)
  const host = resolveHost(config.host)
  if (host.note) context.logger?.warn(host.note)
  // Older projects' tokens carry no prefix, so this is a warning; phx_/phs_ keys are refused by the schema.
  if (!config.apiKey.startsWith('phc_')) {
    context.logger?.warn(
      'the PostHog API key does not start with phc_: if capture answers 401, use the project API key',
    )
  }
  const where = `PostHog ${host.url}`
  const transportOptions: TransportOptions = {
    host: host.url,
    apiKey: config.apiKey,
    timeoutMs: config.timeoutMs,
    gzip: config.gzip,
    where,
    redact: createRedactor([config.apiKey]),
  }
  const transport =
    config.transport === 'posthog-node'
      ? createPostHogNodeTransport(transportOptions)
      : createFetchTransport(transportOptions)
  return {
    name: 'posthog',
    // Names where events go, not how: it is hashed into the job id, and switching transport must resume.
    describe: () => where,
    // Every PostHog Cloud project of a region shares one host: the project key tells them apart.
    target: () => `project-key:${contentHash(config.apiKey, 16)}`,
    send: (batch, { signal }) => transport.send(batch, signal),
    ...(config.checkKey
      ? {
          check: async ({ signal, debug }) => {
            const checked = await checkProjectKey({
              host: transportOptions.host,
              apiKey: transportOptions.apiKey,
              where,
              redact: transportOptions.redact,
              signal,
            })
            if (checked.verdict === 'unverified')
              debug(`could not check the project key with ${where} (${checked.reason}): capture will tell`)
          },
        }
      : {}),
    ...(transport.prepare ? { prepare: transport.prepare } : {}),
  }
}

/** The registry form, for the CLI: flags and help come from the schema. */
export const postHogDestination = defineDestination({
  name: 'posthog',
  description: 'PostHog Cloud (US/EU) or self-hosted, through the /batch/ capture endpoint',
  config: PostHogDestinationSchema,
  create: (config, ctx) => createPostHogDestination(config, { logger: ctx.logger }),
})

export {
  EU_INGESTION_HOST,
  PostHogDestinationConfig,
  type PostHogDestinationOptions,
  type ResolvedHost,
  resolveHost,
  US_INGESTION_HOST,
} from './config.js'
