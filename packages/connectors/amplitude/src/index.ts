import { createHash } from 'node:crypto'
import { defineSource } from '@ph-import/core'
import { exportAmplitude } from './export.js'
import { planAmplitude } from './plan.js'
import { amplitudeRejectCodes } from './reject-codes.js'
import { AmplitudeConfig, type RawAmplitudeEvent } from './schema.js'
import { transformAmplitude } from './transform.js'

export const amplitudeSource = defineSource<typeof AmplitudeConfig, RawAmplitudeEvent | string>({
  name: 'amplitude',
  description: 'Amplitude Export API: events by upload hour, zipped gzipped JSON lines',
  examples: [
    'AMPLITUDE_API_KEY=... AMPLITUDE_SECRET_KEY=... amplitude --start 2023-01-01 --end 2023-12-31 --posthog-host eu',
    'AMPLITUDE_API_KEY=... AMPLITUDE_SECRET_KEY=... amplitude --start 2024-01-01 --end 2024-01-07 --region eu --dry-run',
  ],
  config: AmplitudeConfig,
  capabilities: { range: true, http: true },
  // Export limits are undocumented; Amplitude's REST APIs allow 5 concurrent requests per project,
  // and a 1-day window can take minutes to build, so ask for one window at a time.
  limits: { concurrency: 1 },
  // The project id when given; otherwise a hash of the API key (it names one project, and is never stored).
  identity: (config) =>
    config.projectId ?? `key-${createHash('sha256').update(config.apiKey).digest('hex').slice(0, 16)}`,
  plan: planAmplitude,
  export: exportAmplitude,
  transform: transformAmplitude,
  rejectCodes: amplitudeRejectCodes,
})

export default amplitudeSource
export { exportUrl } from './export.js'
export * from './mapping.js'
export { AmplitudeConfig, AmplitudeMappingOverrides, type RawAmplitudeEvent } from './schema.js'
export { IMPORT_SOURCE, transformAmplitude } from './transform.js'
