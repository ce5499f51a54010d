import type { RejectAdvice } from '@ph-import/core'

/** What a user can do about each of this connector's reason codes (printed by `ph-import rejects`). */
export const mixpanelRejectCodes: Readonly<Record<string, RejectAdvice>> = {
  malformed_record: {
    remedy: 'input',
    advice: 'Mixpanel exported a row without an event name or properties',
  },
  missing_time: { remedy: 'input', advice: 'Mixpanel exported a row without properties.time' },
  missing_distinct_id: {
    remedy: 'input',
    advice: 'the row has neither distinct_id nor $device_id, so it belongs to no person',
  },
  invalid_identity_event: {
    remedy: 'input',
    advice: 'an identity event ($identify, $create_alias, $merge) lacks the ids it links',
  },
  missing_group_key: { remedy: 'input', advice: 'Mixpanel listed a group profile without its $distinct_id' },
  malformed_profile: { remedy: 'input', advice: 'Mixpanel listed a profile without $properties' },
}
