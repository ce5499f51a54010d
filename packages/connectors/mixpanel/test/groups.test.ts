import { deterministicUuid, type PostHogEvent } from '@ph-import/core'
import { testTransformContext } from '@ph-import/testkit'
import { describe, expect, it } from 'vitest'
import { groupsOf, transformGroupProfile } from '../src/groups.js'
import { estimateDuration, planPartitions, windowPartition } from '../src/plan.js'
import { MixpanelConfig } from '../src/schema.js'
import { transformEvent } from '../src/transform-event.js'

const T = Date.parse('2024-03-02T10:11:12.345Z')
const window = windowPartition(
  { timezone: 'UTC', rangeStartMs: null, rangeEndMs: null },
  '2024-03-01',
  '2024-03-07',
)
const base = { apiSecret: 's', start: '2024-03-01', end: '2024-03-07' }

function row(extra: Record<string, unknown>) {
  return { event: 'Purchase', properties: { time: T, distinct_id: 'user-1', $insert_id: 'i1', ...extra } }
}

function issues(input: Record<string, unknown>): string[] {
  const r = MixpanelConfig.safeParse({ ...base, ...input })
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
}

describe('groups: events', () => {
  it('adds $groups from the configured group keys, keeping the properties themselves', () => {
    const ctx = testTransformContext({
      source: 'mixpanel',
      partition: window,
      config: { groups: { company_id: 'company', team_id: 'team' } },
    })
    const e = transformEvent(row({ company_id: 'acme', team_id: 42, other: 'x' }), ctx) as PostHogEvent
    expect(e.properties.$groups).toEqual({ company: 'acme', team: '42' })
    expect(e.properties).toMatchObject({ company_id: 'acme', team_id: 42 })
  })

  it('takes the first usable value of a list (PostHog has one group per type) and skips empty ones', () => {
    const keys = { company_id: 'company', team_id: 'team', org: 'org' }
    expect(groupsOf({ company_id: ['', null, 'acme', 'beta'], team_id: '  ', org: {} }, keys)).toEqual({
      company: 'acme',
    })
    expect(groupsOf({ unrelated: 1 }, keys)).toBeUndefined()
  })

  it('leaves events alone without --groups, and events without the keys without $groups', () => {
    const none = testTransformContext({ source: 'mixpanel', partition: window, config: {} })
    expect(
      (transformEvent(row({ company_id: 'acme' }), none) as PostHogEvent).properties.$groups,
    ).toBeUndefined()
    const some = testTransformContext({
      source: 'mixpanel',
      partition: window,
      config: { groups: { company_id: 'company' } },
    })
    expect((transformEvent(row({}), some) as PostHogEvent).properties.$groups).toBeUndefined()
  })
})

describe('groups: profiles', () => {
  const plan = (extra: Record<string, unknown>) =>
    planPartitions({
      config: MixpanelConfig.parse({ ...base, ...extra }),
      now: new Date('2024-04-01T00:00:00Z'),
      warn: () => {},
    } as never)

  it('plans one Engage listing per group key with profiles, after the user profiles and before events', () => {
    const parts = plan({
      groups: { company_id: 'company', team_id: 'team' },
      groupProfiles: { company_id: '1' },
    })
    expect(parts.map((p) => [p.key, p.kind, p.phase])).toEqual([
      ['profiles', 'profiles', 0],
      ['groups:company_id', 'group-profiles', 0],
      ['events:2024-03-01..2024-03-07', 'events', 1],
    ])
    expect(parts[1]?.params).toMatchObject({ dataGroupId: '1', groupType: 'company' })
    // Each listing is a query against the hourly budget.
    expect(estimateDuration(parts, MixpanelConfig.parse({ ...base })).note).toMatch(/^3 Mixpanel queries/)
  })

  it('turns a group profile into a $groupidentify, every group under one distinct id (one person, not one per group)', () => {
    const groups = plan({ groups: { company_id: 'company' }, groupProfiles: { company_id: '1' } }).find(
      (p) => p.kind === 'group-profiles',
    )
    if (!groups) throw new Error('no group-profiles partition planned')
    const ctx = testTransformContext({ source: 'mixpanel', identity: 'project:1234', partition: groups })
    const e = transformGroupProfile(
      {
        $distinct_id: 'acme',
        $properties: {
          $name: 'Acme',
          plan: 'enterprise',
          $created: '2023-01-05T08:00:00',
          $distinct_id: 'acme',
        },
      },
      ctx,
    )
    expect(e).toEqual({
      event: '$groupidentify',
      distinct_id: 'ph-import-group-profiles',
      uuid: deterministicUuid('mixpanel', 'project:1234', 'group-profile\u0000company\u0000acme'),
      timestamp: '2023-01-05T08:00:00.000Z',
      properties: {
        $group_type: 'company',
        $group_key: 'acme',
        $group_set: { name: 'Acme', plan: 'enterprise', created_at: '2023-01-05T08:00:00.000Z' },
        $import_source: 'mixpanel',
        $geoip_disable: true,
      },
    })
    expect(transformGroupProfile({ $distinct_id: '', $properties: {} }, ctx)).toMatchObject({
      rejected: true,
      code: 'missing_group_key',
    })
    expect(transformGroupProfile({ $distinct_id: 'acme' }, ctx)).toMatchObject({ code: 'malformed_profile' })
  })

  it('refuses a config PostHog could not follow, naming the field and the fix', () => {
    const six = Object.fromEntries([1, 2, 3, 4, 5, 6].map((i) => [`k${i}`, `type${i}`]))
    expect(issues({ groups: six })).toEqual([
      'groups: 6 group types, but PostHog keeps at most 5 per project',
    ])
    expect(issues({ groups: { a_id: 'company', b_id: 'company' } })[0]).toMatch(
      /^groups: two group keys map to the group type "company"/,
    )
    expect(issues({ groups: { company_id: 'company' }, groupProfiles: { team_id: '2' } })).toEqual([
      'groupProfiles: group key "team_id" has no group type: add it to --groups (e.g. team_id=company)',
    ])
    expect(issues({ groups: { constructor: 'x' }, groupProfiles: { toString: '2' } })[0]).toMatch(
      /"toString" has no group type/,
    )
    expect(issues({ groups: { company_id: 'company' }, groupProfiles: { company_id: 'one' } })).toEqual([
      'groupProfiles.company_id: expected the numeric data_group_id',
    ])
  })
})
