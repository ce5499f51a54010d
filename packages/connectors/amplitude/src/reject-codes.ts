import type { RejectAdvice } from '@ph-import/core'

/** What a user can do about each of this connector's reason codes (printed by `ph-import rejects`). */
export const amplitudeRejectCodes: Readonly<Record<string, RejectAdvice>> = {
  missing_event_name: { remedy: 'input', advice: 'Amplitude exported the event without an event_type' },
  missing_distinct_id: {
    remedy: 'retry',
    advice:
      "add amplitude_id to the mapping file's source.distinctIdFrom (after user_id and device_id), then retry",
  },
  invalid_timestamp: { remedy: 'input', advice: 'Amplitude exported the event without a readable time' },
}
