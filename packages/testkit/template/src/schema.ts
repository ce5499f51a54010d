import { secret } from '@ph-import/core'
import { z } from 'zod'

const DAY = /^\d{4}-\d{2}-\d{2}$/

/** The connector's config: CLI flags, help and JSON Schema are generated from it. */
export const AcmeConfig = z
  .object({
    apiKey: secret(z.string().min(1).describe('Acme API key (Settings → API keys)'), { env: 'ACME_API_KEY' }),
    start: z.string().regex(DAY, 'expected YYYY-MM-DD').describe('first day to export (YYYY-MM-DD, UTC)'),
    end: z
      .string()
      .regex(DAY, 'expected YYYY-MM-DD')
      .describe('last day to export, inclusive (YYYY-MM-DD, UTC)'),
    baseUrl: z
      .url({
        protocol: /^https?$/,
        error: 'expected an http(s) URL with its scheme, e.g. http://127.0.0.1:8080',
      })
      .default('https://api.acme.example')
      .describe('Acme API base URL (tests point it at the fake)'),
  })
  .refine((c) => c.end >= c.start, { path: ['end'], message: 'end is before start' })
export type AcmeConfig = z.infer<typeof AcmeConfig>

/** One event as the Acme API returns it: kept apart from PostHog's shape on purpose. */
export const RawAcmeEvent = z.object({
  id: z.string(),
  type: z.string(),
  user_id: z.string().nullable(),
  time: z.number().describe('epoch milliseconds'),
  properties: z.record(z.string(), z.unknown()),
})
export type RawAcmeEvent = z.infer<typeof RawAcmeEvent>

/** `GET /v1/events?day=YYYY-MM-DD&cursor=...`: one page of a day's events. */
export interface AcmeEventsPage {
  events: RawAcmeEvent[]
  next_cursor: string | null
}
