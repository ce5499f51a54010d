import {
  contentHash,
  deterministicUuid,
  type PostHogEvent,
  type TransformContext,
  type TransformResult,
} from '@ph-import/core'
import { tempDir as testkitTempDir } from '@ph-import/testkit'
import type { AmplitudeConfig } from '../src/schema.js'

export { readJsonLines } from '@ph-import/testkit'

export function tempDir(prefix = 'ph-import-amplitude-'): string {
  return testkitTempDir(prefix)
}

/** A transform context that behaves like the runtime's (same uuid scheme, a job-wide seen set). */
export function transformContext(
  options: { config?: Partial<AmplitudeConfig>; overrides?: Record<string, unknown>; identity?: string } = {},
): TransformContext<AmplitudeConfig> {
  const seen = new Set<string>()
  const identity = options.identity ?? 'test-project'
  return {
    source: 'amplitude',
    identity,
    config: {
      identify: true,
      setUserProperties: true,
      groupIdentify: true,
      ...options.config,
    } as AmplitudeConfig,
    mappingOverrides: options.overrides ?? {},
    partition: { key: '2024-03-01', params: { start: '20240301T00', end: '20240301T23' } },
    uuid: (...parts) => deterministicUuid('amplitude', identity, parts.join('\u0000')),
    uuidFromContent: (record) => deterministicUuid('amplitude', identity, `content:${contentHash(record)}`),
    once: (key) => {
      if (seen.has(key)) return false
      seen.add(key)
      return true
    },
    reject: (code, message) => ({ rejected: true, code, message }),
    filter: (reason) => ({ filtered: true, reason }),
  }
}

/** The events of a transform result, or throws with what it was instead. */
export function eventsOf(result: TransformResult): PostHogEvent[] {
  if (Array.isArray(result)) return result
  if ('event' in result) return [result]
  throw new Error(`expected events, got ${JSON.stringify(result)}`)
}
