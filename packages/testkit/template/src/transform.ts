import type { RejectAdvice, TransformContext, TransformResult } from '@ph-import/core'
import { type AcmeConfig, RawAcmeEvent } from './schema.js'

/** What a user can do about each reason code below (`ph-import rejects` prints it). */
export const acmeRejectCodes = {
  unexpected_shape: {
    remedy: 'report',
    advice: 'the API returned a record of another shape: report it to the connector author',
  },
  missing_user: {
    remedy: 'input',
    advice: 'Acme recorded the event without a user_id, so it belongs to no person',
  },
} satisfies Record<string, RejectAdvice>

/** Pure: one raw Acme event into one PostHog event, or a rejection with a reason code. */
export function transformAcme(raw: unknown, ctx: TransformContext<AcmeConfig>): TransformResult {
  const parsed = RawAcmeEvent.safeParse(raw)
  if (!parsed.success)
    return ctx.reject(
      'unexpected_shape',
      `the record does not match the Acme event schema: ${parsed.error.issues[0]?.message}`,
    )
  const event = parsed.data
  if (!event.user_id) return ctx.reject('missing_user', `event ${event.id} has no user_id`)
  return {
    event: event.type,
    distinct_id: event.user_id,
    // From the event's own id: the same event gets the same uuid on every run, so PostHog dedupes re-sends.
    uuid: ctx.uuid(event.id),
    timestamp: new Date(event.time).toISOString(),
    properties: { ...event.properties, $lib: 'ph-import', $import_source: 'acme' },
  }
}
