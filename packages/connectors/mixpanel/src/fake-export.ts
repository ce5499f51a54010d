import { dayIn } from './dates.js'
import type { FakeEventRow } from './fake-data.js'
import type { FakeProject } from './fake-projects.js'
import { exportedRow, parseEventFilter, parseWhere, rowDay, shuffle, usesLocalTime } from './fake-query.js'

export interface ExportRequest {
  params: Record<string, string>
  now: number
  rand: () => number
}

const DAY = /^\d{4}-\d{2}-\d{2}$/

/** A re-keyed row as it was before Mixpanel re-keyed it: under the id it was recorded with. */
function asRecorded(row: FakeEventRow): FakeEventRow {
  const { $distinct_id_before_identity: before, $is_reshuffled: _, ...rest } = row.properties
  return before === undefined ? row : { ...row, properties: { ...rest, distinct_id: before } }
}

/** The raw export's answer for one request: JSONL rows of the inclusive day range, in a fresh order. */
export function handleExport(project: FakeProject, ask: ExportRequest): { status: number; body: string } {
  const { params } = ask
  const from = params.from_date ?? ''
  const to = params.to_date ?? ''
  if (!DAY.test(from))
    return { status: 400, body: "'from_date' is a required parameter in the format yyyy-mm-dd" }
  if (!DAY.test(to))
    return { status: 400, body: "'to_date' is a required parameter in the format yyyy-mm-dd" }
  if (from > to) return { status: 400, body: "'from_date' cannot be later than 'to_date'" }
  const local = usesLocalTime(project.createdAt)
  const zone = local ? project.timezone : 'UTC'
  const today = dayIn(ask.now, zone)
  if (to > today)
    return { status: 400, body: `'to_date' is invalid: to_date cannot be later than today (${today})` }
  const events = parseEventFilter(params.event ?? null)
  if (typeof events === 'string') return { status: 400, body: events }
  const where = params.where ? parseWhere(params.where) : undefined
  if (typeof where === 'string') return { status: 400, body: where }
  const inMs = params.time_in_ms === 'true' || params.time_in_ms === '1'
  let rows = project.rows
    .filter((r) => r.visibleAt <= ask.now)
    .filter((r) => {
      const day = rowDay(r, project.timezone, local)
      return day >= from && day <= to
    })
    .map((r) =>
      exportedRow(ask.now < (project.rekeyedAt ?? 0) ? asRecorded(r) : r, project.timezone, local, inMs),
    )
    .filter((r) => (events ? events.has(r.event) : true))
    .filter((r) => (where ? where(r) : true))
  // Mixpanel's export order is not stable: every download of the same window comes out reshuffled.
  rows = shuffle(rows, ask.rand)
  const limit = params.limit === undefined ? undefined : Number(params.limit)
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 100_000)) {
    return { status: 400, body: "'limit' must be an integer between 1 and 100000" }
  }
  // `limit` silently caps the result: exactly the trap a connector must not fall into.
  if (limit !== undefined) rows = rows.slice(0, limit)
  return { status: 200, body: rows.map((r) => `${JSON.stringify(r)}\n`).join('') }
}
