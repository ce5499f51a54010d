import { createHash } from 'node:crypto'
import { defineSource, type TransformContext, type TransformResult } from '@ph-import/core'
import { exportEvents } from './export-events.js'
import { exportProfiles } from './export-profiles.js'
import { transformGroupProfile } from './groups.js'
import { estimateDuration, isEventsPartition, planPartitions, replanWindows } from './plan.js'
import { mixpanelRejectCodes } from './reject-codes.js'
import { MixpanelConfig, type RawMixpanelRecord } from './schema.js'
import { transformEvent } from './transform-event.js'
import { transformProfile } from './transform-profile.js'

export function transformMixpanel(raw: RawMixpanelRecord, ctx: TransformContext): TransformResult {
  const kind = ctx.partition.kind
  if (kind === 'profiles') return transformProfile(raw, ctx)
  return kind === 'group-profiles' ? transformGroupProfile(raw, ctx) : transformEvent(raw, ctx)
}

/**
 * The project id names the data set. A legacy secret alone names it too, so without --project-id we
 * use a short one-way digest of it: two projects must never share a job or uuids, and the digest
 * reveals nothing usable about the secret.
 */
export function projectIdentity(config: MixpanelConfig): string {
  if (config.projectId !== undefined) return `project:${config.projectId}`
  const digest = createHash('sha256')
    .update(`mixpanel-secret:${config.apiSecret ?? ''}`)
    .digest('hex')
  return `secret:${digest.slice(0, 16)}`
}

export const mixpanelSource = defineSource<typeof MixpanelConfig, RawMixpanelRecord>({
  name: 'mixpanel',
  description: 'Mixpanel raw event export and Engage user profiles',
  examples: [
    'MIXPANEL_SERVICE_ACCOUNT_SECRET=... mixpanel --project-id 1234 --service-account-username sa.1234.mp-service-account --start 2023-01-01 --end 2023-12-31',
    'MIXPANEL_API_SECRET=... mixpanel --start 2023-01-01 --end 2023-12-31 --timezone America/Los_Angeles --dry-run',
  ],
  config: MixpanelConfig,
  capabilities: { range: true, profiles: true, http: true },
  // Mixpanel: 60 queries per hour, 3 per second, 100 concurrent, per project.
  limits: (config) => ({ requestsPerHour: config.requestsPerHour, requestsPerSecond: 3, concurrency: 100 }),
  identity: projectIdentity,
  plan: planPartitions,
  export: (ctx) => (isEventsPartition(ctx.partition) ? exportEvents(ctx) : exportProfiles(ctx)),
  transform: transformMixpanel,
  rejectCodes: mixpanelRejectCodes,
  // A project's day boundaries move every timestamp: a re-run with it corrected is a second copy.
  eventShapingConfig: ['timezone'],
  replan: replanWindows,
  estimate: estimateDuration,
})

export default mixpanelSource

export { authOf, engageUrl, exportUrl } from './api.js'
export {
  EVENT_PROPERTIES_DROPPED,
  EVENT_PROPERTY_RENAMES,
  EVENT_RENAMES,
  PROFILE_PROPERTY_RENAMES,
} from './mapping.js'
export { MixpanelConfig, RawMixpanelEvent, RawMixpanelProfile, type RawMixpanelRecord } from './schema.js'
