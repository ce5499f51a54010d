import type { EventHook } from '../contracts/mapping.js'
import type { PostHogEvent } from '../contracts/posthog-event.js'
import type { TransformContext } from '../contracts/source.js'
import { contentHash, deterministicUuid, uuidV5 } from '../util/uuid.js'
import { type PartitionState, toPartition } from './state.js'
import type { TransformStageOptions } from './transform-stage.js'

/** Adds to a count; a count back at zero is removed, as if never counted. */
export function bump(counts: Record<string, number>, key: string, by = 1): void {
  const next = (counts[key] ?? 0) + by
  if (next === 0) delete counts[key]
  else counts[key] = next
}

/** The earliest and latest of some events' timestamps (ISO UTC strings: their order is time order). */
export interface TimeSpan {
  first?: string | undefined
  last?: string | undefined
}

/** Widens `span` to take in `timestamp` (or another span's ends). */
export function widen(span: TimeSpan, timestamp: string | undefined): void {
  if (timestamp === undefined) return
  if (span.first === undefined || timestamp < span.first) span.first = timestamp
  if (span.last === undefined || timestamp > span.last) span.last = timestamp
}

export function applyHooks(events: PostHogEvent[], hooks: EventHook[]): PostHogEvent[] {
  let current = events
  for (const hook of hooks) {
    const next: typeof current = []
    for (const e of current) {
      const out = hook(e)
      if (out == null) continue
      if (Array.isArray(out)) next.push(...out)
      else next.push(out)
    }
    current = next
  }
  return current
}

/** The context handed to the connector's `transform`, with the runtime's answer to `once`/`onceInPartition`. */
export function transformContext(
  p: PartitionState,
  opts: Pick<TransformStageOptions, 'source' | 'identity' | 'config' | 'mappingOverrides'>,
  once: (key: string) => boolean,
  onceInPartition: (key: string) => boolean,
): TransformContext {
  const { source } = opts
  // deterministicUuid's name, its constant part joined once rather than per event.
  const uuidPrefix = `${source.name}\u0000${opts.identity}\u0000`
  return {
    source: source.name,
    identity: opts.identity,
    config: opts.config,
    mappingOverrides: opts.mappingOverrides ?? {},
    partition: toPartition(p),
    uuid: (...parts) => uuidV5(uuidPrefix + parts.join('\u0000')),
    uuidFromContent: (record) =>
      deterministicUuid(source.name, opts.identity, `content:${contentHash(record)}`),
    once,
    onceInPartition,
    reject: (code, message) => ({ rejected: true, code, message }),
    filter: (reason) => ({ filtered: true, reason }),
  }
}
