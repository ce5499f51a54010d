import { field, isCalendarDay, NOT_A_CALENDAR_DAY, secret } from '@ph-import/core'
import { z } from 'zod'

// Abort: a value that is no date at all gets this message alone, not the calendar's too.
const NOT_A_DATE = {
  error: (issue: { input?: unknown }) =>
    `expected YYYY-MM-DD or an ISO datetime (2024-03-01T00:00:00Z), not ${JSON.stringify(issue.input)}`,
  abort: true,
}
const DATE_OR_DATETIME = /^\d{4}-\d{2}-\d{2}(T\d{2}(:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?)?$/

export const AmplitudeConfig = z.object({
  apiKey: secret(z.string().min(1).describe('Amplitude project API key'), { env: 'AMPLITUDE_API_KEY' }),
  secretKey: secret(z.string().min(1).describe('Amplitude project secret key'), {
    env: 'AMPLITUDE_SECRET_KEY',
  }),
  region: z
    .enum(['us', 'eu'])
    .default('us')
    .describe('data region of the project: us (amplitude.com) or eu (analytics.eu.amplitude.com)'),
  baseUrl: field(
    z
      .url({
        protocol: /^https?$/,
        error: 'expected an http(s) URL with its scheme, e.g. http://127.0.0.1:4020',
      })
      .optional()
      .describe('export API base URL, overriding the region (a proxy, or a fake server)'),
    { env: 'AMPLITUDE_BASE_URL' },
  ),
  projectId: z
    .string()
    .min(1)
    .optional()
    .describe('Amplitude project id; names the data set in event uuids (default: derived from the API key)'),
  start: z
    .string()
    .regex(DATE_OR_DATETIME, NOT_A_DATE)
    .refine(isCalendarDay, NOT_A_CALENDAR_DAY)
    .describe('first upload time to export (YYYY-MM-DD, or an ISO datetime rounded down to the hour)'),
  end: z
    .string()
    .regex(DATE_OR_DATETIME, NOT_A_DATE)
    .refine(isCalendarDay, NOT_A_CALENDAR_DAY)
    .optional()
    .describe(
      'last upload day to export, inclusive (YYYY-MM-DD), or an exclusive ISO datetime; default and ceiling: now minus 2 hours',
    ),
  eventTimeStart: z.iso
    .datetime({ offset: true })
    .optional()
    .describe('only import events whose event_time is at or after this instant (applied before staging)'),
  eventTimeEnd: z.iso
    .datetime({ offset: true })
    .optional()
    .describe('only import events whose event_time is before this instant (applied before staging)'),
  eventTypes: z
    .array(z.string().min(1))
    .optional()
    .describe('only import these Amplitude event types (applied before staging)'),
  excludeEventTypes: z
    .array(z.string().min(1))
    .default([])
    .describe('skip these Amplitude event types (applied before staging)'),
  identify: z
    .boolean()
    .default(true)
    .describe('emit a $identify linking device_id to user_id the first time each pair is seen'),
  keepSessionEvents: z
    .boolean()
    .default(false)
    .describe('import session_start/session_end events instead of filtering them'),
  setUserProperties: z
    .boolean()
    .default(true)
    .describe('copy Amplitude user_properties to the person ($set, $set_once for initial_* values)'),
  groupIdentify: z
    .boolean()
    .default(true)
    .describe('emit $groupidentify when an event carries new group properties'),
  sessionIds: z
    .boolean()
    .default(true)
    .describe(
      "set PostHog's $session_id from Amplitude's session_id (a UUIDv7 at the session's start), so sessions, bounce rate and web analytics work on imported history",
    ),
  pageSize: field(z.number().int().min(1).max(100_000).default(5000).describe('records per export page'), {
    hidden: true,
  }),
})
export type AmplitudeConfig = z.infer<typeof AmplitudeConfig>

/**
 * Connector-specific tables in the user's mapping file (`source:` section), merged over the defaults
 * of `mapping.ts`. Anything not listed keeps the default rule.
 */
export const AmplitudeMappingOverrides = z
  .object({
    eventNames: z
      .record(z.string(), z.string().min(1))
      .optional()
      .describe('Amplitude event_type → PostHog event name (merged over the defaults)'),
    dropEvents: z
      .array(z.string())
      .optional()
      .describe('event types filtered out (replaces the default session_start/session_end)'),
    eventProperties: z
      .record(z.string(), z.string().min(1))
      .optional()
      .describe('event_properties key → PostHog property (merged over the page/referrer defaults)'),
    initialUserProperties: z
      .record(z.string(), z.string().min(1))
      .optional()
      .describe('user_properties key → $set_once property (merged over the initial_* defaults)'),
    distinctIdFrom: z
      .array(z.enum(['user_id', 'device_id', 'amplitude_id']))
      .min(1)
      .optional()
      .describe('fields tried in order for distinct_id (default user_id, device_id)'),
  })
  .strict()
export type AmplitudeMappingOverrides = z.infer<typeof AmplitudeMappingOverrides>

/** One exported row, as Amplitude writes it (only the fields we read are typed; the rest pass through). */
export interface RawAmplitudeEvent {
  uuid?: string | null
  $insert_id?: string | null
  event_type?: string | null
  event_time?: string | null
  client_event_time?: string | null
  server_received_time?: string | null
  server_upload_time?: string | null
  user_id?: string | number | null
  device_id?: string | null
  amplitude_id?: number | null
  event_id?: number | null
  session_id?: number | null
  event_properties?: Record<string, unknown> | null
  user_properties?: Record<string, unknown> | null
  groups?: Record<string, unknown> | null
  group_properties?: Record<string, unknown> | null
  data?: Record<string, unknown> | null
  [field: string]: unknown
}
