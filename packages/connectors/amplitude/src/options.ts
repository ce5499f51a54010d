import { ConfigError, formatConfigIssues, type TransformContext } from '@ph-import/core'
import {
  DEFAULT_DROPPED_EVENTS,
  DEFAULT_EVENT_NAMES,
  DEFAULT_EVENT_PROPERTIES,
  DEFAULT_INITIAL_USER_PROPERTIES,
} from './mapping.js'
import { type AmplitudeConfig, AmplitudeMappingOverrides } from './schema.js'

export interface TransformOptions {
  eventNames: ReadonlyMap<string, string>
  dropEvents: ReadonlySet<string>
  eventProperties: ReadonlyMap<string, string>
  initialUserProperties: ReadonlyMap<string, string>
  distinctIdFrom: ReadonlyArray<'user_id' | 'device_id' | 'amplitude_id'>
  identify: boolean
  setUserProperties: boolean
  groupIdentify: boolean
  sessionIds: boolean
}

// Keyed by the job's config object; recomputed when the overrides object changes (once per partition).
const cache = new WeakMap<object, { overrides: unknown; options: TransformOptions }>()
const NO_CONFIG = {}

/** Defaults ⊕ config flags ⊕ the mapping file's `source:` tables; resolved once per job, not per record. */
export function transformOptions(ctx: TransformContext<AmplitudeConfig>): TransformOptions {
  const key = ctx.config ?? NO_CONFIG
  const hit = cache.get(key)
  if (hit && hit.overrides === ctx.mappingOverrides) return hit.options
  const parsed = AmplitudeMappingOverrides.safeParse(ctx.mappingOverrides ?? {})
  if (!parsed.success) {
    throw new ConfigError(`invalid amplitude mapping (source:):\n${formatConfigIssues(parsed.error)}`)
  }
  const o = parsed.data
  const c: Partial<AmplitudeConfig> = ctx.config ?? {}
  const dropEvents = new Set(o.dropEvents ?? (c.keepSessionEvents ? [] : DEFAULT_DROPPED_EVENTS))
  const resolved: TransformOptions = {
    eventNames: new Map(Object.entries({ ...DEFAULT_EVENT_NAMES, ...o.eventNames })),
    dropEvents,
    eventProperties: new Map(Object.entries({ ...DEFAULT_EVENT_PROPERTIES, ...o.eventProperties })),
    initialUserProperties: new Map(
      Object.entries({ ...DEFAULT_INITIAL_USER_PROPERTIES, ...o.initialUserProperties }),
    ),
    distinctIdFrom: o.distinctIdFrom ?? ['user_id', 'device_id'],
    identify: c.identify ?? true,
    setUserProperties: c.setUserProperties ?? true,
    groupIdentify: c.groupIdentify ?? true,
    sessionIds: c.sessionIds ?? true,
  }
  cache.set(key, { overrides: ctx.mappingOverrides, options: resolved })
  return resolved
}
