import {
  type FakeEventRow,
  type FakeProfile,
  generateEvents,
  generateProfiles,
  makeUsers,
} from './fake-data.js'
import { addGroupKeys, type FakeGroupKey, type FakeGroups, generateGroupProfiles } from './fake-groups.js'

export type FakePlan = 'paid' | 'free' | 'none'

export interface FakeProjectOptions {
  id?: number
  apiSecret?: string
  serviceAccount?: { username: string; secret: string }
  /** Project time zone; matters for projects created before 2023 (local days and epochs). */
  timezone?: string
  /** YYYY-MM-DD; before 2023-01-01 the project uses local time for days and exported `time`. */
  createdAt?: string
  identityMerge?: 'simplified' | 'original'
  /** `free`: Engage answers 402; `none`: every API answers 402. */
  plan?: FakePlan
  from?: string
  to?: string
  eventsPerDay?: number | ((day: string) => number)
  users?: number
  duplicateRate?: number
  lateRate?: number
  lateHours?: number
  anonymousProfiles?: number
  /**
   * When Mixpanel re-keyed this project's merged rows to their users (epoch ms): a download before then
   * gets those rows as first recorded, under their `$device:` id and without `$distinct_id_before_identity`.
   * Default: re-keyed from the start.
   */
  rekeyedAt?: number
  /** Fixture rows instead of generated ones (`utcMs` is the true instant; `time` is derived on export). */
  rows?: Array<
    Omit<FakeEventRow, 'visibleAt' | 'duplicate'> & Partial<Pick<FakeEventRow, 'visibleAt' | 'duplicate'>>
  >
  profiles?: FakeProfile[]
  /** Group Analytics keys: generated rows carry them, and Engage lists their profiles by `data_group_id`. */
  groups?: FakeGroupKey[]
}

export interface FakeProject {
  id: number
  apiSecret: string
  serviceAccount: { username: string; secret: string }
  timezone: string
  createdAt: string
  identityMerge: 'simplified' | 'original'
  plan: FakePlan
  rows: FakeEventRow[]
  profiles: FakeProfile[]
  rekeyedAt: number | undefined
  groups: FakeGroups[]
}

export function resolveProject(seed: number, o: FakeProjectOptions, index: number): FakeProject {
  const id = o.id ?? 1234 + index
  const projectSeed = seed + id
  const identityMerge = o.identityMerge ?? 'simplified'
  const users = o.users ?? 20
  const rows =
    o.rows?.map((r) => ({ ...r, visibleAt: r.visibleAt ?? r.utcMs, duplicate: r.duplicate ?? false })) ??
    generateEvents(projectSeed, {
      from: o.from ?? '2024-03-01',
      to: o.to ?? '2024-03-14',
      eventsPerDay: o.eventsPerDay ?? 50,
      users,
      duplicateRate: o.duplicateRate ?? 0.05,
      lateRate: o.lateRate ?? 0,
      lateHours: o.lateHours ?? 48,
      identityMerge,
    })
  if (o.groups && !o.rows) addGroupKeys(rows, makeUsers(projectSeed, users), o.groups)
  return {
    id,
    apiSecret: o.apiSecret ?? `fake-secret-${id}`,
    serviceAccount: o.serviceAccount ?? {
      username: `fake-sa.${id}.mp-service-account`,
      secret: `fake-sa-secret-${id}`,
    },
    timezone: o.timezone ?? 'UTC',
    createdAt: o.createdAt ?? '2024-01-01',
    identityMerge,
    plan: o.plan ?? 'paid',
    rows,
    profiles: o.profiles ?? generateProfiles(projectSeed, users, o.anonymousProfiles ?? 2),
    rekeyedAt: o.rekeyedAt,
    groups: (o.groups ?? []).map((k) => generateGroupProfiles(projectSeed, k)),
  }
}

export type AuthResult = { project: FakeProject } | { status: number; body: string }

/** Basic auth both ways Mixpanel takes it: service account `user:secret` + project_id, or legacy `secret:`. */
export function authenticate(
  projects: readonly FakeProject[],
  header: string | undefined,
  projectIdParam: string | null,
): AuthResult {
  const m = /^Basic\s+(.+)$/i.exec(header ?? '')
  if (!m?.[1]) return { status: 401, body: 'Unable to authenticate request' }
  const decoded = Buffer.from(m[1], 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  const user = colon < 0 ? decoded : decoded.slice(0, colon)
  const pass = colon < 0 ? '' : decoded.slice(colon + 1)
  const service = projects.filter(
    (p) => p.serviceAccount.username === user && p.serviceAccount.secret === pass,
  )
  if (service.length > 0) {
    if (projectIdParam === null)
      return { status: 400, body: 'project_id is required when authenticating with a service account' }
    const project = service.find((p) => String(p.id) === projectIdParam)
    if (!project) return { status: 403, body: `service account has no access to project ${projectIdParam}` }
    return { project }
  }
  const legacy = pass === '' ? projects.find((p) => p.apiSecret === user) : undefined
  if (legacy) return { project: legacy }
  return { status: 401, body: 'Invalid username or password' }
}

export const PLAN_BODY = JSON.stringify({
  error: 'Your plan does not allow API calls. Upgrade at mixpanel.com/pricing',
  status: 'error',
})
