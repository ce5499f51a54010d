import { ConfigError } from '../contracts/errors.js'
import type { AnySource, SourceContext } from '../contracts/source.js'
import type { JobState } from './state.js'

/**
 * For a source whose plan is read from local input (files: neither an API nor a date range), whether the
 * input is still what the job planned from. A file that grew after its job finished would otherwise
 * "resume" as done, and its new rows would never be sent, without a word. Throws a ConfigError naming
 * what changed; the plan is redone without its warnings (the first run showed them).
 */
export async function checkInputUnchanged(
  source: AnySource,
  sourceCtx: SourceContext<unknown>,
  state: JobState,
): Promise<void> {
  const capabilities = source.capabilities ?? {}
  if (capabilities.http || capabilities.range) return
  const now = await source.plan({ ...sourceCtx, warn: () => {} })
  const planned = new Map(state.partitions.map((p) => [p.key, JSON.stringify(p.params)]))
  const current = new Map(now.map((p) => [p.key, JSON.stringify(p.params)]))
  const changed = [...current.keys()].filter((k) => planned.has(k) && planned.get(k) !== current.get(k))
  const added = [...current.keys()].filter((k) => !planned.has(k))
  const gone = [...planned.keys()].filter((k) => !current.has(k))
  if (changed.length + added.length + gone.length === 0) return
  const list = (label: string, keys: string[]) =>
    keys.length > 0
      ? [`${label} ${keys.slice(0, 5).join(', ')}${keys.length > 5 ? `, and ${keys.length - 5} more` : ''}`]
      : []
  const what = [...list('changed:', changed), ...list('new:', added), ...list('gone:', gone)].join('; ')
  throw new ConfigError(`the input changed since job ${state.jobId} read it (${what})`, {
    hint: "run the same command with --fresh to import the input as it is now (which events keep their uuids is in the connector's README), or put the input back as it was to resume",
  })
}
