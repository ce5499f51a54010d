import { contentHash, deterministicUuid, type Partition, type TransformContext } from '@ph-import/core'

export interface TestTransformContextOptions<Config> {
  /** The connector's name: part of every uuid, as in a real run. */
  source: string
  identity?: string
  config?: Config
  partition?: Partition
  mappingOverrides?: Record<string, unknown>
  /** Keys `once` already saw (share one set between contexts to model later partitions of a job). */
  seen?: Set<string>
}

const firstTime = (set: Set<string>, key: string) => {
  if (set.has(key)) return false
  set.add(key)
  return true
}

/**
 * A TransformContext that behaves like the one the runtime builds in transform-stage.ts: the same uuid
 * scheme (so uuids match a real run's), `once` remembered across calls (job-wide), `onceInPartition`
 * remembered for this context only. For unit tests of a connector's `transform`.
 */
export function testTransformContext<Config = unknown>(
  options: TestTransformContextOptions<Config>,
): TransformContext<Config> {
  const { source } = options
  const identity = options.identity ?? 'default'
  const seen = options.seen ?? new Set<string>()
  const inPartition = new Set<string>()
  return {
    source,
    identity,
    ...(options.config === undefined ? {} : { config: options.config }),
    mappingOverrides: options.mappingOverrides ?? {},
    partition: options.partition ?? { key: 'test', params: {} },
    uuid: (...parts) => deterministicUuid(source, identity, parts.join('\u0000')),
    uuidFromContent: (record) => deterministicUuid(source, identity, `content:${contentHash(record)}`),
    once: (key) => firstTime(seen, key),
    onceInPartition: (key) => firstTime(inPartition, key),
    reject: (code, message) => ({ rejected: true, code, message }),
    filter: (reason) => ({ filtered: true, reason }),
  }
}
