import {
  cursorPage,
  type FaultController,
  type FaultPlan,
  type LoopbackRequest,
  pick,
  randomId,
  randomTimestamp,
  seededRandom,
  sendJson,
  startLoopbackServer,
  weightedPick,
} from '@ph-import/testkit'
import type { RawAcmeEvent } from './schema.js'

export const FAKE_ACME_API_KEY = 'acme_test_key_1234'
const DAY_MS = 86_400_000

export interface FakeAcmeOptions {
  seed?: number | string
  /** First day with data (YYYY-MM-DD); default 2024-01-01. */
  start?: string
  days?: number
  eventsPerDay?: number
  pageSize?: number
  apiKey?: string
  faults?: FaultPlan
}

export interface FakeAcme {
  url: string
  apiKey: string
  /** Every event the fake serves, in time order. */
  events: readonly RawAcmeEvent[]
  requests: readonly LoopbackRequest[]
  faults: FaultController
  close(): Promise<void>
}

/** Seeded Acme events: the same options give the same events on every run. */
export function generateAcmeEvents(options: FakeAcmeOptions = {}): RawAcmeEvent[] {
  const random = seededRandom(options.seed ?? 'acme')
  const first = Date.parse(`${options.start ?? '2024-01-01'}T00:00:00Z`)
  const users = Array.from({ length: 12 }, () => randomId(random, 'user'))
  const events: RawAcmeEvent[] = []
  for (let d = 0; d < (options.days ?? 3); d++) {
    for (let i = 0; i < (options.eventsPerDay ?? 25); i++) {
      events.push({
        id: randomId(random, 'evt', 12),
        type: weightedPick(random, [
          ['page_view', 8],
          ['signup', 1],
          ['purchase', 1],
        ] as const),
        // One in 40 has no user: the transform rejects it with a reason, and the report counts it.
        user_id: random() < 0.025 ? null : pick(random, users),
        time: randomTimestamp(random, first + d * DAY_MS, first + (d + 1) * DAY_MS),
        properties: { plan: pick(random, ['free', 'pro']), path: `/${randomId(random, '', 4)}` },
      })
    }
  }
  return events.sort((a, b) => a.time - b.time)
}

/** A local Acme API: `GET /v1/events?day=&cursor=` with bearer auth and faults on demand. */
export async function startFakeAcme(options: FakeAcmeOptions = {}): Promise<FakeAcme> {
  const events = generateAcmeEvents(options)
  const apiKey = options.apiKey ?? FAKE_ACME_API_KEY
  const server = await startLoopbackServer({
    auth: { bearer: [apiKey] },
    ...(options.faults ? { faults: options.faults } : {}),
    handler: (_req, res, { url }) => {
      if (url.pathname !== '/v1/events') return sendJson(res, 404, { error: 'not found' })
      const day = url.searchParams.get('day') ?? ''
      if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return sendJson(res, 400, { error: 'day must be YYYY-MM-DD' })
      const from = Date.parse(`${day}T00:00:00Z`)
      const ofDay = events.filter((e) => e.time >= from && e.time < from + DAY_MS)
      const page = cursorPage(ofDay, url.searchParams.get('cursor') ?? undefined, options.pageSize ?? 10, day)
      if ('error' in page) return sendJson(res, 400, { error: page.error })
      sendJson(res, 200, { events: page.items, next_cursor: page.next ?? null })
    },
  })
  return {
    url: server.url,
    apiKey,
    events,
    requests: server.requests,
    faults: server.faults,
    close: server.close,
  }
}
