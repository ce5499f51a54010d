import { type ExportContext, type ExportPage, RetriableError } from '@ph-import/core'
import { authOf, engageUrl, mixpanelHttpError } from './api.js'
import type { MixpanelConfig, RawMixpanelRecord } from './schema.js'

/** Engage answers at most this many profiles per page (the documented page size; `page_size` is not a request param). */
const PAGE_SIZE = 1000

interface EngagePage {
  page?: number
  page_size?: number
  results?: unknown[]
  session_id?: string
  total?: number
}

/**
 * Pages through Engage: page 0 opens a session (and carries `total`, only there); later pages resend
 * `session_id` with `page + 1` until a short page. Only the first page counts against Mixpanel's
 * query budget (mixpanel-headless pacer), so later pages opt out of ours with `budget: false`.
 */
export async function* exportProfiles(
  ctx: ExportContext<MixpanelConfig>,
): AsyncIterable<ExportPage<RawMixpanelRecord>> {
  const auth = authOf(ctx.config)
  const groupId = ctx.partition.params.dataGroupId as string | undefined
  let page = 0
  let sessionId: string | undefined
  let total: number | undefined
  for (;;) {
    const where = `[mixpanel] engage${groupId === undefined ? '' : ` (data_group_id ${groupId})`} page ${page}`
    const form: Record<string, string> = { page: String(page) }
    // Group profiles: the same listing for one group key, on every page as the query is repeated.
    if (groupId !== undefined) form.data_group_id = groupId
    if (sessionId !== undefined) form.session_id = sessionId
    const response = await ctx.http.post(engageUrl(ctx.config), {
      searchParams: auth.project,
      headers: auth.headers,
      form,
      throwHttpErrors: false,
      responseType: 'text',
      signal: ctx.signal,
      context: { budget: page === 0 },
    })
    if (response.statusCode >= 300) {
      throw mixpanelHttpError(
        response.statusCode,
        response.body,
        response.headers['retry-after'],
        where,
        groupId === undefined ? 'engage' : 'group-profiles',
      )
    }
    let body: EngagePage
    try {
      body = JSON.parse(response.body) as EngagePage
    } catch (cause) {
      throw new RetriableError(`${where}: Engage answered 200 with a body that is not JSON`, { cause })
    }
    const results = Array.isArray(body.results) ? (body.results as RawMixpanelRecord[]) : []
    if (page === 0) total = body.total
    if (results.length > 0) yield { records: results }
    const size = body.page_size ?? PAGE_SIZE
    const fetched = (page + 1) * size
    if (results.length < size || (total !== undefined && fetched >= total)) return
    if (!body.session_id) throw new RetriableError(`${where}: Engage gave a full page but no session_id`)
    sessionId = body.session_id
    page++
  }
}
