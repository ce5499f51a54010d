import type { TransformContext, TransformResult } from '@ph-import/core'
import { type AcmeConfig, RawAcmeEvent } from './schema.js'

/** Pure: one raw Acme event into one PostHog event, or a rejection with a reason code. */
export function transformAcme(raw: unknown, ctx: TransformContext<AcmeConfig>): TransformResult {
  const parsed = RawAcmeEvent.safeParse(raw)
  if (!parsed.success)
    return ctx.reject('unexpected_shape', `not an Acme event: ${parsed.error.issues[0]?.message}`)
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
