import type { Database } from 'better-sqlite3'
import { UNKNOWN_KEY_NOTE } from '../capture/errors.js'
import type { FaultCounters, IdentityLink, PersonsView, SandboxPerson, SandboxStats } from '../types.js'
import { mergePersons } from './person-merges.js'

// Beyond this, PostHog's skew correction (ts = now + timestamp - sent_at) visibly moves events.
const SKEW_WARNING_MS = 60_000

function countsBy(db: Database, sql: string): Record<string, number> {
  const rows = db.prepare(sql).raw().all() as [string | number, number][]
  return Object.fromEntries(rows.map(([key, count]) => [String(key), count]))
}

const scalar = (db: Database, sql: string, ...params: unknown[]) =>
  (db
    .prepare(sql)
    .pluck()
    .get(...params) as number | null) ?? 0

type StoredStats = Omit<SandboxStats, 'faults'>
// Stats scan the whole table (there are no indexes, see schema.ts), so they are recomputed only when a
// request has been logged since: polling an idle sandbox costs nothing.
const statsCache = new WeakMap<Database, { version: string; stats: StoredStats }>()

/** Request ids restart after a reset, so a reset must drop the cached stats. */
export function forgetStats(db: Database): void {
  statsCache.delete(db)
}

export function readStats(db: Database, faults: FaultCounters): SandboxStats {
  const version = `${scalar(db, 'SELECT MAX(id) FROM requests')}:${scalar(db, 'SELECT MAX(seq) FROM events')}`
  const cached = statsCache.get(db)
  if (cached?.version === version) return { ...cached.stats, faults: { ...faults } }
  const stats = computeStats(db)
  statsCache.set(db, { version, stats })
  return { ...stats, faults: { ...faults } }
}

function computeStats(db: Database): StoredStats {
  const received = scalar(db, 'SELECT COUNT(*) FROM events')
  const uniqueUuids = scalar(db, 'SELECT COUNT(DISTINCT uuid) FROM events')
  return {
    received,
    unique_uuids: uniqueUuids,
    duplicates: received - uniqueUuids,
    conflicting_uuids: scalar(
      db,
      `SELECT COUNT(*) FROM (SELECT uuid FROM events GROUP BY uuid
         HAVING COUNT(DISTINCT event || char(0) || distinct_id || char(0) || day) > 1)`,
    ),
    events_by_name: countsBy(db, 'SELECT event, COUNT(*) FROM events GROUP BY event ORDER BY event'),
    events_by_day: countsBy(db, 'SELECT day, COUNT(*) FROM events GROUP BY day ORDER BY day'),
    distinct_ids: scalar(db, 'SELECT COUNT(DISTINCT distinct_id) FROM events'),
    persons_set: scalar(
      db,
      'SELECT COUNT(DISTINCT distinct_id) FROM person_updates WHERE set_props IS NOT NULL',
    ),
    historical: scalar(db, 'SELECT COUNT(*) FROM events WHERE historical = 1'),
    requests: scalar(db, 'SELECT COUNT(*) FROM requests'),
    accepted_requests: scalar(db, 'SELECT COUNT(*) FROM requests WHERE status = 200'),
    unknown_key_events: scalar(
      db,
      'SELECT COALESCE(SUM(events), 0) FROM requests WHERE status = 200 AND error = ?',
      UNKNOWN_KEY_NOTE,
    ),
    rejected_requests: countsBy(
      db,
      'SELECT status, COUNT(*) FROM requests WHERE status <> 200 GROUP BY status',
    ),
    sent_at_skewed_requests: scalar(
      db,
      'SELECT COUNT(*) FROM requests WHERE ABS(sent_at_skew_ms) > ?',
      SKEW_WARNING_MS,
    ),
  }
}

interface PersonUpdateRow {
  distinct_id: string
  set_props: string | null
  set_once_props: string | null
  unset_props: string | null
}

function applyUpdate(properties: Record<string, unknown>, row: PersonUpdateRow): void {
  if (row.set_once_props) {
    for (const [key, value] of Object.entries(JSON.parse(row.set_once_props) as Record<string, unknown>)) {
      if (!(key in properties)) properties[key] = value
    }
  }
  if (row.set_props) Object.assign(properties, JSON.parse(row.set_props))
  if (row.unset_props) for (const key of JSON.parse(row.unset_props) as string[]) delete properties[key]
}

/**
 * Person properties per distinct_id, folded in arrival order: PostHog applies `$set` in ingestion order,
 * not timestamp order. Persons are not merged across links; the links are listed for the caller.
 */
export function readPersons(db: Database, distinctId?: string): PersonsView {
  const byId = new Map<string, SandboxPerson>()
  const person = (id: string) => {
    let found = byId.get(id)
    if (!found) {
      found = { distinct_id: id, properties: {}, linked_distinct_ids: [] }
      byId.set(id, found)
    }
    return found
  }
  const updates = db.prepare('SELECT * FROM person_updates ORDER BY seq').all() as PersonUpdateRow[]
  for (const row of updates) applyUpdate(person(row.distinct_id).properties, row)
  const links = db.prepare('SELECT * FROM identity_links ORDER BY seq').all() as IdentityLink[]
  for (const link of links) {
    const left = person(link.distinct_id)
    const right = person(link.other_id)
    if (!left.linked_distinct_ids.includes(right.distinct_id))
      left.linked_distinct_ids.push(right.distinct_id)
    if (!right.linked_distinct_ids.includes(left.distinct_id))
      right.linked_distinct_ids.push(left.distinct_id)
  }
  const { groups, refused } = mergePersons(db)
  if (distinctId === undefined)
    return { persons: [...byId.values()], links, merged: groups, refused_merges: refused }
  const only = byId.get(distinctId)
  const touches = (l: IdentityLink) => l.distinct_id === distinctId || l.other_id === distinctId
  return {
    persons: only ? [only] : [],
    links: links.filter(touches),
    merged: groups.filter((g) => g.distinct_ids.includes(distinctId)),
    refused_merges: refused.filter(touches),
  }
}
