import type { RejectAdvice } from '@ph-import/core'

/** What a user can do about each of this connector's reason codes (printed by `ph-import rejects`). */
export const jsonlRejectCodes: Readonly<Record<string, RejectAdvice>> = {
  missing_event_name: { remedy: 'config', advice: 'name the key holding the event name with --event-key' },
  missing_distinct_id: {
    remedy: 'config',
    advice: 'name the key holding the distinct id with --distinct-id-key',
  },
  invalid_timestamp: {
    remedy: 'config',
    advice:
      'name the key holding the time with --timestamp-key; a date that does not exist, or a number that is no epoch after 1973 (an Excel serial date), is an input error',
  },
  line_too_long: {
    remedy: 'input',
    advice:
      'write one event per line (JSON lines, not a pretty-printed or one-line JSON array), then import the file again',
  },
}
