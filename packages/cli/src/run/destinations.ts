import { ConfigError, createFileDestination, type Destination } from '@ph-import/core'

type CreatePostHogDestination = (options: { host: string; apiKey: string }) => Destination

/** The PostHog destination from core (looked up at run time so the CLI builds before it lands). */
export async function postHogDestination(host: string, apiKey: string | undefined): Promise<Destination> {
  if (!apiKey)
    throw new ConfigError('--posthog-key is required (or set POSTHOG_PROJECT_API_KEY)', {
      hint: 'use --dry-run to write the events to a file instead of sending them',
    })
  const core = (await import('@ph-import/core')) as Record<string, unknown>
  const create = core.createPostHogDestination as CreatePostHogDestination | undefined
  if (typeof create !== 'function')
    throw new ConfigError(
      'this build of @ph-import/core has no PostHog destination (createPostHogDestination)',
    )
  return create({ host, apiKey })
}

/**
 * `--dry-run`: events go to a JSON-lines file. The default path is inside the job directory, which is only
 * known once the job is planned, so the file destination is created on the first batch.
 */
export function dryRunDestination(file: () => string): Destination {
  let inner: Destination | undefined
  return {
    name: 'dry-run',
    describe: () => 'dry run (events written to a file, nothing sent)',
    send: (batch, options) => {
      inner ??= createFileDestination({ path: file() })
      return inner.send(batch, options)
    },
    close: async () => {
      await inner?.close?.()
    },
  }
}
