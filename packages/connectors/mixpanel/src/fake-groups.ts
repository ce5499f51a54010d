import { type FakeEventRow, type FakeProfile, mulberry32, type User } from './fake-data.js'

/** A Group Analytics key of a fake project: the event property, and the id Engage lists its profiles by. */
export interface FakeGroupKey {
  /** The event property, e.g. `company_id`. */
  key: string
  /** Engage's `data_group_id` for this key. */
  dataGroupId: string
  /** How many groups users are spread over (default 5). */
  groups?: number
}

export interface FakeGroups {
  key: string
  dataGroupId: string
  profiles: FakeProfile[]
}

/** `company_id` → `company-3`: the group key values of a fake key. */
function groupName(key: string, n: number): string {
  return `${key.replace(/_id$/, '')}-${n}`
}

/**
 * Puts each group key on the rows of its users: user i is in group i mod n, and every seventh user in two
 * groups at once (a list, as Mixpanel allows). Rows of ids that are no user's are left without.
 */
export function addGroupKeys(rows: FakeEventRow[], users: readonly User[], keys: readonly FakeGroupKey[]) {
  const index = new Map<string, number>()
  users.forEach((u, i) => {
    index.set(u.id, i)
    index.set(u.device, i)
  })
  for (const row of rows) {
    const id = String(row.properties.distinct_id ?? '').replace(/^\$device:/, '')
    const i = index.get(id)
    if (i === undefined) continue
    for (const k of keys) {
      const n = k.groups ?? 5
      const first = groupName(k.key, (i % n) + 1)
      row.properties[k.key] = i % 7 === 6 ? [first, groupName(k.key, ((i + 1) % n) + 1)] : first
    }
  }
}

/** The Engage group profiles of one key: one per group, with a name, a plan and a creation time. */
export function generateGroupProfiles(seed: number, k: FakeGroupKey): FakeGroups {
  const rand = mulberry32(seed ^ Number.parseInt(k.dataGroupId, 10) ^ 0x6a09)
  const profiles = Array.from({ length: k.groups ?? 5 }, (_, j) => ({
    $distinct_id: groupName(k.key, j + 1),
    $properties: {
      $name: `${k.key.replace(/_id$/, '')} ${j + 1}`,
      plan: rand() < 0.5 ? 'enterprise' : 'team',
      seats: 5 + Math.floor(rand() * 200),
      $created: new Date(Date.UTC(2023, 0, 1) + j * 86_400_000).toISOString().slice(0, 19),
    },
  }))
  return { key: k.key, dataGroupId: k.dataGroupId, profiles }
}
