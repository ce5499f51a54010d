import { createPostHogDestination, deterministicUuid } from '@ph-import/core'
import { type Sandbox, startSandbox } from '@ph-import/sandbox'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FakeMixpanel, startFakeMixpanel } from '../src/testing.js'
import { expectedUuid, importInto, serviceAccountConfig } from './helpers.js'

const IDENTITY = 'project:1234'
const GROUPS = { company_id: 'company', team_id: 'team' }

let fake: FakeMixpanel
let sandbox: Sandbox

beforeAll(async () => {
  fake = await startFakeMixpanel({
    seed: 5,
    projects: [
      {
        from: '2024-03-01',
        to: '2024-03-05',
        groups: [
          { key: 'company_id', dataGroupId: '1', groups: 4 },
          { key: 'team_id', dataGroupId: '2', groups: 3 },
        ],
      },
    ],
  })
  sandbox = await startSandbox({ port: 0, dataDir: ':memory:' })
})
afterAll(async () => {
  await sandbox?.close()
  await fake?.close()
})

describe('Group Analytics: fake Mixpanel → ph-import → PostHog sandbox (real HTTP)', () => {
  it('delivers each group profile once as $groupidentify, before any event, and every event with its $groups', async () => {
    const destination = createPostHogDestination({ host: sandbox.url, apiKey: 'phc_sandbox' })
    const config = serviceAccountConfig(fake, {
      end: '2024-03-05',
      groups: GROUPS,
      groupProfiles: { company_id: '1', team_id: '2' },
    })
    const { result } = await importInto(config, { destination })
    expect(result.report.error).toBeUndefined()
    expect(result.status).toBe('done')
    const stored = sandbox.events()

    const project = fake.project()
    const expectedGroups = project.groups.flatMap((g) =>
      g.profiles.map((p) => ({
        type: GROUPS[g.key as keyof typeof GROUPS],
        key: p.$distinct_id,
        name: p.$properties.$name,
      })),
    )
    expect(expectedGroups).toHaveLength(7)
    const updates = stored.filter((e) => e.event === '$groupidentify')
    expect(
      updates.map((e) => ({
        type: e.properties.$group_type,
        key: e.properties.$group_key,
        name: (e.properties.$group_set as { name?: unknown }).name,
      })),
    ).toEqual(expectedGroups)
    for (const u of updates) {
      expect(u.distinct_id).toBe('ph-import-group-profiles')
      expect(u.uuid).toBe(
        deterministicUuid(
          'mixpanel',
          IDENTITY,
          ['group-profile', u.properties.$group_type, u.properties.$group_key].join('\u0000'),
        ),
      )
    }
    const lastUpdate = Math.max(...updates.map((e) => e.seq))
    const firstEvent = Math.min(
      ...stored.filter((e) => e.event !== '$set' && e.event !== '$groupidentify').map((e) => e.seq),
    )
    expect(lastUpdate).toBeLessThan(firstEvent)

    // Every row that carries a key arrives with the group it names (the first, for a list).
    let grouped = 0
    let listed = 0
    for (const row of project.rows.filter((r) => !r.duplicate)) {
      const company = row.properties.company_id
      if (company === undefined) continue
      const event = stored.find((e) => e.uuid === expectedUuid(row, IDENTITY))
      const first = (v: unknown) => (Array.isArray(v) ? v[0] : v)
      if (Array.isArray(company)) listed++
      expect(event?.properties.$groups).toEqual({
        company: first(company),
        team: first(row.properties.team_id),
      })
      grouped++
    }
    expect(grouped).toBeGreaterThan(100)
    expect(listed).toBeGreaterThan(0)
    expect(sandbox.stats().duplicates).toBe(0)
  })

  it('stops, naming the flag, when a data_group_id is no group key of the project: no event is sent after it', async () => {
    const { result } = await importInto(
      serviceAccountConfig(fake, { end: '2024-03-05', groups: GROUPS, groupProfiles: { company_id: '9' } }),
    )
    expect(result.status).toBe('failed')
    expect(result.report.error?.message).toMatch(/engage \(data_group_id 9\) page 0: Mixpanel answered 400/)
    expect(result.report.error?.hint).toMatch(/--group-profiles/)
    // The user profiles ahead of it are delivered; no event, since events load after every profile.
    expect(result.report.events.loaded).toBe(fake.project().profiles.length)
  })
})
