import {
  ConfigError,
  createFileDestination,
  createPostHogDestination,
  type Destination,
  type Logger,
} from '@ph-import/core'

/**
 * The PostHog destination. A missing key is a usage error; a new run can be a dry run instead, a resumed
 * one cannot (it goes on as it started), and must be told that the key is never stored with the job.
 */
export function postHogDestination(
  host: string,
  apiKey: string | undefined,
  logger: Logger,
  { resuming = false, checkKey = true }: { resuming?: boolean; checkKey?: boolean } = {},
): Destination {
  if (!apiKey)
    throw new ConfigError('--posthog-key is required (or set POSTHOG_PROJECT_API_KEY)', {
      hint: resuming
        ? 'the key is not stored with the job: pass it again with --posthog-key, or set POSTHOG_PROJECT_API_KEY'
        : 'use --dry-run to write the events to a file instead of sending them',
    })
  return createPostHogDestination({ host, apiKey, checkKey }, { logger })
}

/** A dry run's destination, as its jobs record it: `jobs` tells dry runs from imports by it. */
export const DRY_RUN_DESTINATION = 'dry run (events written to a file, nothing sent)'

/**
 * `--dry-run`: events go to a JSON-lines file. The default path is inside the job directory, which is only
 * known once the job is planned, so the file destination is created on the first batch.
 */
export function dryRunDestination(file: () => string): Destination {
  let inner: Destination | undefined
  return {
    name: 'dry-run',
    describe: () => DRY_RUN_DESTINATION,
    paced: false,
    send: (batch, options) => {
      inner ??= createFileDestination({ path: file() })
      return inner.send(batch, options)
    },
    close: async () => {
      await inner?.close?.()
    },
  }
}
