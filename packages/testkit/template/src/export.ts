import type { ExportContext, ExportPage } from '@ph-import/core'
import type { AcmeConfig, AcmeEventsPage, RawAcmeEvent } from './schema.js'

/**
 * Pages through one day. No try/catch, no retries, no sleeps: ctx.http's errors are classified by the
 * runtime (429 → wait Retry-After, 401 → fatal), and each page's cursor lets a crash resume mid-day.
 */
export async function* exportAcme(ctx: ExportContext<AcmeConfig>): AsyncGenerator<ExportPage<RawAcmeEvent>> {
  const { config, partition } = ctx
  let cursor = typeof ctx.cursor === 'string' ? ctx.cursor : undefined
  do {
    const page = await ctx.http
      .get(new URL('/v1/events', config.baseUrl), {
        searchParams: { day: String(partition.params.day), ...(cursor ? { cursor } : {}) },
        headers: { authorization: `Bearer ${config.apiKey}` },
        signal: ctx.signal,
      })
      .json<AcmeEventsPage>()
    cursor = page.next_cursor ?? undefined
    yield { records: page.events, ...(cursor ? { cursor } : {}) }
  } while (cursor)
}
