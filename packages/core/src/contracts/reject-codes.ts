import type { EventRejectCode } from './posthog-event.js'

/**
 * What a user can do about a dead letter, by its reason code. `rejects <job>` prints it beside each code,
 * and offers `--retry` only for the codes a retry can mend.
 *
 * - `retry`: the event needs a change a `--mapping` file or the `--transform` module can make; after it,
 *   `rejects --retry` sends the record with the uuid the first run would have used. (A retry runs the
 *   connector with the job's stored options: only the mapping and the transform module can change.)
 * - `config`: the connector read the record with the wrong option (a column, a format); import again
 *   with the option the advice names.
 * - `input`: the input itself is broken (a cut line, bad bytes); fix the file or the export and import
 *   again, or accept the loss.
 * - `resend`: PostHog refused the final event; `rejects --retry` sends it again as it is, which helps
 *   only once the cause on PostHog's side is gone.
 * - `report`: a fault in a connector or in ph-import; nothing a user changes will send it.
 */
export type RejectRemedy = 'retry' | 'config' | 'input' | 'resend' | 'report'

export interface RejectAdvice {
  remedy: RejectRemedy
  /** One line, imperative, naming the flag or file to change. */
  advice: string
}

/** Typed so that a new validator code cannot go undescribed. */
type CoreRejectCode =
  | EventRejectCode
  | 'transform_error'
  | 'transform_hook_error'
  | 'unknown_partition'
  | 'too_large'
  | 'destination_rejected'

/** Whether `rejects --retry` can send a record dead-lettered with this remedy. */
export const RETRYABLE_REMEDIES: ReadonlySet<RejectRemedy> = new Set(['retry', 'resend'])

/**
 * The codes core itself gives: its event validator (which sees the event after the connector's transform,
 * the mapping and the --transform module), the record path around a transform, and the load stage.
 */
export const CORE_REJECT_CODES: Readonly<Record<CoreRejectCode, RejectAdvice>> &
  Readonly<Record<string, RejectAdvice>> = {
  missing_event_name: {
    remedy: 'retry',
    advice: 'give the event a name in the --transform module, then retry',
  },
  missing_distinct_id: { remedy: 'retry', advice: 'set distinct_id in the --transform module, then retry' },
  distinct_id_too_long: {
    remedy: 'retry',
    advice: 'PostHog keeps 200 characters: shorten or hash distinct_id in the --transform module, then retry',
  },
  illegal_distinct_id: {
    remedy: 'retry',
    advice:
      'PostHog merges no persons on placeholders such as "null": set another id in the --transform module, then retry',
  },
  invalid_uuid: {
    remedy: 'retry',
    advice: 'leave uuid to the connector in the --transform module, then retry',
  },
  invalid_timestamp: {
    remedy: 'retry',
    advice: 'set an ISO 8601 UTC timestamp in the --transform module, then retry',
  },
  invalid_properties: {
    remedy: 'retry',
    advice: 'make properties an object in the --transform module, then retry',
  },
  event_too_large: {
    remedy: 'retry',
    advice:
      "PostHog keeps events under 1 MB: drop the largest properties (a mapping's properties.drop), then retry",
  },
  invalid_unicode: {
    remedy: 'retry',
    advice:
      'text cut inside a character at the source: drop the property (properties.drop) or repair it in --transform, then retry',
  },
  invalid_group: {
    remedy: 'retry',
    advice:
      'give each group update a type and a key of at most 400 characters in the --transform module, then retry',
  },
  transform_hook_error: {
    remedy: 'retry',
    advice: 'fix the --transform module where the message points, then retry',
  },
  transform_error: {
    remedy: 'report',
    advice: "the connector's transform threw: report it to the connector's authors, with the example",
  },
  unknown_partition: {
    remedy: 'report',
    advice: "the reject names a partition the original job does not have (was the job's state edited?)",
  },
  too_large: {
    remedy: 'report',
    advice: 'PostHog refused the event as too large though it passed the local 1 MB check: report it',
  },
  destination_rejected: {
    remedy: 'resend',
    advice: "read PostHog's message in the example; a retry sends the event again unchanged",
  },
}

/**
 * Codes that connectors commonly give for input they cannot read, so every connector need not describe
 * them; a connector's own `rejectCodes` take precedence.
 */
export const INPUT_REJECT_CODES: Readonly<Record<string, RejectAdvice>> = {
  invalid_utf8: {
    remedy: 'input',
    advice: 'the bytes are not UTF-8: re-export or convert the file, then import it again',
  },
  unparsable_line: {
    remedy: 'input',
    advice: 'the line is not valid JSON: fix the file (often a cut download) and import again',
  },
  unparsable_record: {
    remedy: 'input',
    advice: 'the record cannot be parsed: re-export it from the source and import again',
  },
  unparsable_row: {
    remedy: 'input',
    advice: 'the CSV row cannot be parsed (see the reason): fix its quoting and import again',
  },
  not_an_object: {
    remedy: 'input',
    advice: 'each line must be a JSON object: fix the file and import again',
  },
}

/** The advice for a code, the connector's own first; undefined for a code nobody described. */
export function rejectAdvice(
  code: string,
  connectorCodes?: Readonly<Record<string, RejectAdvice>>,
): RejectAdvice | undefined {
  return connectorCodes?.[code] ?? CORE_REJECT_CODES[code] ?? INPUT_REJECT_CODES[code]
}
