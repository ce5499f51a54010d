import { publicConfig } from '../contracts/config.js'
import { FatalError } from '../contracts/errors.js'
import type { AnySource, SourceContext } from '../contracts/source.js'
import { type JobState, newPartitionState } from './state.js'

export interface PlanJobOptions {
  source: AnySource
  sourceCtx: SourceContext<unknown>
  config: Record<string, unknown>
  jobId: string
  destinationName: string
  target?: string
  mapping?: string
  transform?: string
  redact: (text: string) => string
  /** Warnings the plan raised before the state existed; they become the state's first warnings. */
  warnings: string[]
}

/**
 * A new job's state from the connector's plan. Only the public part of the config is kept, and redacted
 * again in case a connector forgot to mark a field secret: state.json must never hold a credential.
 */
export async function planJob(options: PlanJobOptions): Promise<JobState> {
  const { source, config } = options
  const identity = source.identity?.(config) ?? 'default'
  const partitions = await source.plan(options.sourceCtx)
  const keys = new Set<string>()
  for (const p of partitions) {
    if (keys.has(p.key)) throw new FatalError(`[${source.name}] plan has two partitions with key ${p.key}`)
    keys.add(p.key)
  }
  const now = new Date().toISOString()
  return {
    version: 1,
    jobId: options.jobId,
    source: source.name,
    identity,
    config: JSON.parse(options.redact(JSON.stringify(publicConfig(source.config, config)))) as Record<
      string,
      unknown
    >,
    destination: options.destinationName,
    ...(options.target === undefined ? {} : { target: options.target }),
    ...(options.mapping === undefined ? {} : { mapping: options.mapping }),
    ...(options.transform === undefined ? {} : { transform: options.transform }),
    createdAt: now,
    updatedAt: now,
    status: 'planned',
    runs: 0,
    warnings: options.warnings,
    partitions: partitions.map((p, i) => newPartitionState(p, i)),
  }
}
