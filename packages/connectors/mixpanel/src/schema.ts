import {
  field,
  isCalendarDay,
  MAX_GROUP_FIELD_LENGTH,
  MAX_GROUP_TYPES,
  NOT_A_CALENDAR_DAY,
  secret,
} from '@ph-import/core'
import { z } from 'zod'

const DAY_OR_DATETIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/

/** The day part names a day the calendar has: 2024-02-30 and 2024-13-01 do not exist. */
// Abort: a value that is no date at all gets this message alone, not the calendar's too.
const NOT_A_DATE = {
  error: (issue: { input?: unknown }) =>
    `expected YYYY-MM-DD or an ISO datetime (2024-03-01T00:00:00Z), not ${JSON.stringify(issue.input)}`,
  abort: true,
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz })
    return true
  } catch {
    return false
  }
}

export const MixpanelRegion = z.enum(['us', 'eu', 'in'])
export type MixpanelRegion = z.infer<typeof MixpanelRegion>

export const MixpanelConfig = z
  .object({
    projectId: field(
      z.coerce
        .number()
        .int()
        .positive()
        .optional()
        .describe('Mixpanel project id (required with a service account)'),
      { env: 'MIXPANEL_PROJECT_ID' },
    ),
    serviceAccountUsername: field(
      z
        .string()
        .min(1)
        .optional()
        .describe('service account username (Organization settings → Service accounts)'),
      { env: 'MIXPANEL_SERVICE_ACCOUNT_USERNAME' },
    ),
    serviceAccountSecret: secret(z.string().min(1).optional().describe('service account secret'), {
      env: 'MIXPANEL_SERVICE_ACCOUNT_SECRET',
    }),
    apiSecret: secret(
      z
        .string()
        .min(1)
        .optional()
        .describe('legacy project API secret (used when no service account is given)'),
      { env: 'MIXPANEL_API_SECRET' },
    ),
    region: MixpanelRegion.default('us').describe('data residency of the project: us, eu or in'),
    baseUrl: z
      .url({
        protocol: /^https?$/,
        error: 'expected an http(s) URL with its scheme, e.g. http://127.0.0.1:4010',
      })
      .optional()
      .describe('override both API hosts (export and engage), e.g. a fake server at http://127.0.0.1:4010'),
    start: z
      .string()
      .regex(DAY_OR_DATETIME, NOT_A_DATE)
      .refine(isCalendarDay, NOT_A_CALENDAR_DAY)
      .describe('first day to import (YYYY-MM-DD, a day in --timezone) or an ISO datetime'),
    end: z
      .string()
      .regex(DAY_OR_DATETIME, NOT_A_DATE)
      .refine(isCalendarDay, NOT_A_CALENDAR_DAY)
      .optional()
      .describe('last day to import, inclusive (YYYY-MM-DD) or an exclusive ISO datetime; default yesterday'),
    timezone: z
      .string()
      .refine(isTimeZone, 'not an IANA time zone (e.g. America/Los_Angeles)')
      .default('UTC')
      .describe(
        'project time zone, for projects created before 2023 (their days and exported times are local)',
      ),
    profiles: z
      .boolean()
      .default(true)
      .describe('also import user profiles (Engage) as person properties, first'),
    groups: z
      .record(z.string().min(1), z.string().min(1).max(MAX_GROUP_FIELD_LENGTH))
      .optional()
      .describe(
        'Group Analytics: group key (the event property) → PostHog group type, e.g. company_id=company; events carrying the key get $groups (at most 5 types)',
      ),
    groupProfiles: z
      .record(z.string().min(1), z.string().regex(/^\d+$/, 'expected the numeric data_group_id'))
      .optional()
      .describe(
        "also import group profiles: group key → its data_group_id (Mixpanel's Project settings → Group keys), e.g. company_id=1; each key must be in --groups",
      ),
    events: z
      .array(z.string().min(1))
      .optional()
      .describe('only export these event names (Mixpanel `event` filter)'),
    where: z.string().optional().describe('Mixpanel segmentation expression passed to export as `where`'),
    windowDays: z.coerce
      .number()
      .int()
      .min(1)
      .max(31)
      .default(7)
      .describe('initial export window in days; later windows grow or shrink with observed volume'),
    targetWindowEvents: z.coerce
      .number()
      .int()
      .positive()
      .default(500_000)
      .describe('events one export request should carry; windows are sized towards it'),
    maxWindowDays: z.coerce
      .number()
      .int()
      .min(1)
      .max(92)
      .default(31)
      .describe('upper bound on window growth'),
    requestsPerHour: field(
      z.coerce
        .number()
        .int()
        .positive()
        .default(60)
        .describe("export queries per hour (Mixpanel's limit is 60)"),
      { hidden: true },
    ),
  })
  .superRefine((c, ctx) => {
    const service = c.serviceAccountUsername !== undefined || c.serviceAccountSecret !== undefined
    if (service && (c.serviceAccountUsername === undefined || c.serviceAccountSecret === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['serviceAccountSecret'],
        message: 'a service account needs both --service-account-username and --service-account-secret',
      })
    }
    if (service && c.projectId === undefined) {
      ctx.addIssue({ code: 'custom', path: ['projectId'], message: 'a service account needs --project-id' })
    }
    if (!service && c.apiSecret === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['apiSecret'],
        message:
          'credentials missing: give a service account (MIXPANEL_SERVICE_ACCOUNT_SECRET) or the project secret (MIXPANEL_API_SECRET)',
      })
    }
    checkGroups(c, ctx)
    // Only between real days: 2024-13-01 is already refused, and is no later than anything.
    const comparable = c.end !== undefined && isCalendarDay(c.start) && isCalendarDay(c.end)
    if (comparable && c.end !== undefined && c.end.slice(0, 10) < c.start.slice(0, 10)) {
      ctx.addIssue({ code: 'custom', path: ['end'], message: 'end is before start' })
    }
  })
export type MixpanelConfig = z.infer<typeof MixpanelConfig>

function checkGroups(
  c: { groups?: Record<string, string> | undefined; groupProfiles?: Record<string, string> | undefined },
  ctx: z.RefinementCtx,
): void {
  const types = Object.values(c.groups ?? {})
  const distinct = new Set(types)
  if (distinct.size > MAX_GROUP_TYPES) {
    ctx.addIssue({
      code: 'custom',
      path: ['groups'],
      message: `${distinct.size} group types, but PostHog keeps at most ${MAX_GROUP_TYPES} per project`,
    })
  }
  if (distinct.size < types.length) {
    const twice = types.find((t, i) => types.indexOf(t) !== i)
    ctx.addIssue({
      code: 'custom',
      path: ['groups'],
      message: `two group keys map to the group type ${JSON.stringify(twice)}: an event could name two groups of it, and PostHog takes one`,
    })
  }
  for (const key of Object.keys(c.groupProfiles ?? {})) {
    if (!c.groups || !Object.hasOwn(c.groups, key)) {
      ctx.addIssue({
        code: 'custom',
        path: ['groupProfiles'],
        message: `group key ${JSON.stringify(key)} has no group type: add it to --groups (e.g. ${key}=company)`,
      })
    }
  }
}

/** One row of the raw export (JSONL): `{event, properties: {time, distinct_id, $insert_id, ...}}`. */
export const RawMixpanelEvent = z.object({
  event: z.string(),
  properties: z.record(z.string(), z.unknown()),
})
export type RawMixpanelEvent = z.infer<typeof RawMixpanelEvent>

/** One Engage result: `{$distinct_id, $properties}`; dates in `$properties` carry no zone. */
export const RawMixpanelProfile = z.object({
  $distinct_id: z.union([z.string(), z.number()]),
  $properties: z.record(z.string(), z.unknown()),
})
export type RawMixpanelProfile = z.infer<typeof RawMixpanelProfile>

/** A line the export stream gave that is not JSON: kept so the transform dead-letters it with a reason. */
export interface UnparsableLine {
  $unparsable: string
}

export type RawMixpanelRecord = RawMixpanelEvent | RawMixpanelProfile | UnparsableLine
