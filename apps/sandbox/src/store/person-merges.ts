import type { Database } from 'better-sqlite3'
import type { IdentityLink, MergedPerson, RefusedMerge } from '../types.js'

// PostHog refuses to merge on these ids (the event is still ingested): nodejs/src/worker/ingestion/persons.
const ILLEGAL_CASE_INSENSITIVE = new Set([
  'anonymous',
  'guest',
  'distinctid',
  'distinct_id',
  'id',
  'not_authenticated',
  'email',
  'undefined',
  'true',
  'false',
])
const ILLEGAL_CASE_SENSITIVE = new Set(['[object Object]', 'NaN', 'None', 'none', 'null', '0'])

function illegal(id: string): boolean {
  const trimmed = id.trim()
  if (trimmed === '') return true
  const unquoted = trimmed.replace(/^(['"])(.*)\1$/, '$2')
  return ILLEGAL_CASE_INSENSITIVE.has(unquoted.toLowerCase()) || ILLEGAL_CASE_SENSITIVE.has(unquoted)
}

interface Person {
  ids: Set<string>
  identified: boolean
}

/**
 * Persons as PostHog's person-merge service would make them from the events in arrival order
 * (posthog-destination.md §6): every distinct id gets a person; `$identify` and `$create_alias` merge the
 * other id's person into the distinct id's, unless the other person is already identified (the warning
 * `cannot_merge_already_identified`) or either id is one PostHog refuses to merge on; the merged person is
 * identified. `$merge_dangerously` merges whatever the other person is. So a test sees what the order of
 * identity events does, not just which ids were linked.
 */
export function mergePersons(db: Database): { groups: MergedPerson[]; refused: RefusedMerge[] } {
  const personOf = new Map<string, Person>()
  const ensure = (id: string): Person => {
    let person = personOf.get(id)
    if (!person) {
      person = { ids: new Set([id]), identified: false }
      personOf.set(id, person)
    }
    return person
  }
  const links = new Map<number, IdentityLink>()
  for (const link of db.prepare('SELECT * FROM identity_links ORDER BY seq').all() as IdentityLink[])
    links.set(link.seq, link)
  const refused: RefusedMerge[] = []
  const rows = db.prepare('SELECT seq, distinct_id FROM events ORDER BY seq').raw().iterate() as Iterable<
    [number, string]
  >
  for (const [seq, distinctId] of rows) {
    const link = links.get(seq)
    if (!link) {
      ensure(distinctId)
      continue
    }
    const other = link.other_id
    // A link to itself changes nothing: PostHog returns before marking the person identified.
    if (other === distinctId) {
      ensure(distinctId)
      continue
    }
    if (illegal(distinctId) || illegal(other)) {
      ensure(distinctId)
      refused.push({ ...link, reason: 'illegal_distinct_id' })
      continue
    }
    const target = personOf.get(distinctId)
    const source = personOf.get(other)
    if (!target && !source) {
      const person: Person = { ids: new Set([distinctId, other]), identified: true }
      personOf.set(distinctId, person)
      personOf.set(other, person)
    } else if (!source) {
      ;(target as Person).ids.add(other)
      personOf.set(other, target as Person)
      ;(target as Person).identified = true
    } else if (!target) {
      source.ids.add(distinctId)
      personOf.set(distinctId, source)
      source.identified = true
    } else if (target === source) {
      target.identified = true
    } else if (source.identified && link.kind !== 'merge') {
      // Refused, yet the distinct id's person is marked identified all the same (PostHog sets it first).
      target.identified = true
      refused.push({ ...link, reason: 'cannot_merge_already_identified' })
    } else {
      for (const id of source.ids) {
        target.ids.add(id)
        personOf.set(id, target)
      }
      target.identified = true
    }
  }
  const groups = [...new Set(personOf.values())].map((p) => ({
    distinct_ids: [...p.ids].sort(),
    identified: p.identified,
  }))
  return { groups, refused }
}
