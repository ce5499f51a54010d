import path from 'node:path'
import type { RunOptions } from './run-job.js'

/** The parsed values of `sendFlags`/`importFlags` (see common-flags.ts). */
export interface SendFlagValues {
  'posthog-host': string
  'posthog-key'?: string | undefined
  'posthog-key-check'?: boolean | undefined
  rate?: number | undefined
  'batch-size'?: number | undefined
  workers?: number | undefined
  'max-staged'?: number | undefined
  'keep-staged'?: boolean | undefined
  'dry-run': boolean
  output?: string | undefined
  yes: boolean
  'state-dir': string
  json: boolean
  debug: boolean
  fresh?: boolean | undefined
}

export function runOptions(flags: SendFlagValues): RunOptions {
  return {
    posthogKey: flags['posthog-key'],
    checkKey: flags['posthog-key-check'] ?? true,
    stateDir: flags['state-dir'],
    fresh: flags.fresh ?? false,
    json: flags.json,
    yes: flags.yes,
    debug: flags.debug,
    interactive: true,
  }
}

export const absolute = (file: string | undefined) => (file ? path.resolve(file) : undefined)

/** Only the keys whose value is defined (exactOptionalPropertyTypes-friendly spreading). */
export function defined<T extends Record<string, unknown>>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as Partial<T>
}
