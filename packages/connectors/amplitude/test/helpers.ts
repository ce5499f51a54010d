import type { PostHogEvent, TransformContext, TransformResult } from '@ph-import/core'
import { tempDir as testkitTempDir, testTransformContext } from '@ph-import/testkit'
import type { AmplitudeConfig } from '../src/schema.js'

export { readJsonLines } from '@ph-import/testkit'

export function tempDir(prefix = 'ph-import-amplitude-'): string {
  return testkitTempDir(prefix)
}

/** A transform context that behaves like the runtime's (same uuid scheme, a job-wide seen set). */
export function transformContext(
  options: { config?: Partial<AmplitudeConfig>; overrides?: Record<string, unknown>; identity?: string } = {},
): TransformContext<AmplitudeConfig> {
  return testTransformContext<AmplitudeConfig>({
    source: 'amplitude',
    identity: options.identity ?? 'test-project',
    config: {
      identify: true,
      setUserProperties: true,
      groupIdentify: true,
      ...options.config,
    } as AmplitudeConfig,
    mappingOverrides: options.overrides ?? {},
    partition: { key: '2024-03-01', params: { start: '20240301T00', end: '20240301T23' } },
  })
}

/** The events of a transform result, or throws with what it was instead. */
export function eventsOf(result: TransformResult): PostHogEvent[] {
  if (Array.isArray(result)) return result
  if ('event' in result) return [result]
  throw new Error(`expected events, got ${JSON.stringify(result)}`)
}
