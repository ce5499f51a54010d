import { createPostHogDestination, deterministicUuid } from '@ph-import/core'
import { type Sandbox, type StoredEvent, startSandbox } from '@ph-import/sandbox'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FakeEventRow, FakeMixpanel } from '../src/testing.js'
import { startFakeMixpanel } from '../src/testing.js'
import { expectedUuid, importInto, serviceAccountConfig } from './helpers.js'

const IDENTITY = 'project:1234'
const uuidOf = (...parts: string[]) => deterministicUuid('mixpanel', IDENTITY, parts.join('\u0000'))
const bare = (id: string) => id.replace(/^\$device:/, '')

let fake: FakeMixpanel
let sandbox: Sandbox
let stored: StoredEvent[]

beforeAll(async () => {
  fake = await startFakeMixpanel({ seed: 9 })
  sandbox = await startSandbox({ port: 0, dataDir: ':memory:' })
  const destination = createPostHogDestination({ host: sandbox.url, apiKey: 'phc_sandbox' })
  const { result } = await importInto(serviceAccountConfig(fake), { destination })
  expect(result.report.error).toBeUndefined()
  expect(result.status).toBe('done')
  stored = sandbox.events()
})
afterAll(async () => {
  await sandbox?.close()
  await fake?.close()
})

const profileUuids = () =>
  new Set(fake.project().profiles.map((p) => uuidOf('profile', bare(p.$distinct_id))))

/** One synthesized `$identify` per (user, device) pair Simplified ID Merge rows carry. */
function identifyUuids(): Set<string> {
  const out = new Set<string>()
  for (const { properties: p } of fake.project().rows)
    if (typeof p.$user_id === 'string' && typeof p.$device_id === 'string')
      out.add(uuidOf('identify', p.$user_id, bare(p.$device_id)))
  return out
}

function storedRow(row: FakeEventRow): StoredEvent {
  const found = stored.filter((e) => e.uuid === expectedUuid(row, IDENTITY))
  expect(found).toHaveLength(1)
  return found[0] as StoredEvent
}

describe('end to end: fake Mixpanel → ph-import → PostHog sandbox (real HTTP)', () => {
  it('delivers every event and profile exactly once, and nothing else', () => {
    const rows = fake.project().rows
    expect(rows.some((r) => r.duplicate)).toBe(true)
    const events = new Set(rows.map((r) => expectedUuid(r, IDENTITY)))
    const expected = new Set([...profileUuids(), ...identifyUuids(), ...events])
    expect(identifyUuids().size).toBeGreaterThan(0)
    expect(sandbox.uniqueUuids()).toEqual(expected)
    // Mixpanel's repeated rows collapse to one uuid before sending: no receipt twice.
    expect(stored).toHaveLength(expected.size)
    const stats = sandbox.stats()
    expect(stats.duplicates).toBe(0)
    expect(stats.historical).toBe(expected.size)
    expect(stats.rejected_requests).toEqual({})
  })

  it('delivers every profile before the first event', () => {
    const profiles = profileUuids()
    const lastProfile = Math.max(...stored.filter((e) => profiles.has(e.uuid)).map((e) => e.seq))
    const firstEvent = Math.min(...stored.filter((e) => !profiles.has(e.uuid)).map((e) => e.seq))
    expect(lastProfile).toBeLessThan(firstEvent)
    expect(stored.slice(0, profiles.size).every((e) => e.event === '$set')).toBe(true)
  })

  it('delivers each $identify before the first event of its (user, device) pair', () => {
    const identified = new Map<string, number>()
    for (const e of stored)
      if (e.event === '$identify') identified.set(`${e.distinct_id}|${e.properties.$anon_distinct_id}`, e.seq)
    const late: string[] = []
    let checked = 0
    for (const e of stored) {
      const { $user_id: user, $device_id: device } = e.properties
      if (e.event === '$identify' || typeof user !== 'string' || typeof device !== 'string') continue
      checked++
      if (!((identified.get(`${user}|${bare(device)}`) ?? Infinity) < e.seq)) late.push(e.uuid)
    }
    expect(late).toEqual([])
    expect(checked).toBeGreaterThan(identified.size)
  })

  it('maps a page view field by field, line separators in the title intact', () => {
    const row = fake
      .project()
      .rows.find(
        (r) =>
          r.event === '$mp_web_page_view' &&
          typeof r.properties.$user_id === 'string' &&
          /[\u2028\r]/.test(String(r.properties.current_page_title)),
      )
    if (!row) throw new Error('the seed has no identified page view with an odd title: change the seed')
    const p = row.properties
    const e = storedRow(row)
    expect([e.event, e.distinct_id, e.timestamp]).toEqual([
      '$pageview',
      p.distinct_id,
      new Date(row.utcMs).toISOString(),
    ])
    expect(e.properties).toEqual({
      $pathname: p.current_url_path,
      $host: p.current_domain,
      title: p.current_page_title,
      $current_url: p.$current_url,
      current_url_protocol: p.current_url_protocol,
      current_url_search: p.current_url_search,
      $geoip_city_name: p.$city,
      $geoip_subdivision_1_name: p.$region,
      $geoip_country_code: p.mp_country_code,
      $geoip_country_name: new Intl.DisplayNames(['en'], { type: 'region' }).of(String(p.mp_country_code)),
      mp_lib: 'web',
      $lib_version: p.$lib_version,
      $os: p.$os,
      $browser: p.$browser,
      $user_id: p.$user_id,
      $device_id: p.$device_id,
      $import_source: 'mixpanel',
      $geoip_disable: true,
    })
  })

  it('maps an anonymous mobile event and a profile', () => {
    const row = fake
      .project()
      .rows.find(
        (r) => r.properties.mp_lib === 'iphone' && String(r.properties.distinct_id).startsWith('$device:'),
      )
    if (!row) throw new Error('the seed has no anonymous iPhone event: change the seed')
    const e = storedRow(row)
    expect([e.event, e.distinct_id]).toEqual([row.event, row.properties.$device_id])
    expect(e.properties).toMatchObject({
      $app_version: row.properties.$app_version_string,
      $device_model: row.properties.$model,
      $os: 'iOS',
    })
    for (const dropped of ['$insert_id', 'time', 'distinct_id', 'mp_processing_time_ms', '$model'])
      expect(e.properties[dropped]).toBeUndefined()

    const profile = fake.project().profiles.find((p) => !p.$distinct_id.startsWith('$device:'))
    if (!profile) throw new Error('the fake has no identified profile')
    const pp = profile.$properties
    const set = stored.find((s) => s.uuid === uuidOf('profile', profile.$distinct_id))
    expect(set?.event).toBe('$set')
    expect(set?.distinct_id).toBe(profile.$distinct_id)
    expect(set?.timestamp).toBe(`${pp.$created}.000Z`)
    expect(set?.properties.$set).toMatchObject({
      email: pp.$email,
      name: pp.$name,
      $geoip_city_name: pp.$city,
      $geoip_time_zone: pp.$timezone,
      plan: pp.plan,
      mixpanel_last_seen: `${pp.$last_seen}.000Z`,
    })
    expect(set?.properties.$set_once).toEqual({ created_at: `${pp.$created}.000Z` })
    const person = sandbox.persons({ distinct_id: profile.$distinct_id }).persons[0]
    expect(person?.properties.email).toBe(pp.$email)
  })
})

describe('identity events as PostHog merges them (the sandbox applies its merge rules in arrival order)', () => {
  it('an alias made after the user was identified elsewhere still merges: it is sent in PostHog’s direction', async () => {
    const day = (d: number, h: number) => Date.UTC(2024, 2, d, h)
    const rows: FakeEventRow[] = [
      // The user signs up on one device first ($identify, Original ID Merge)…
      {
        event: '$identify',
        utcMs: day(1, 9),
        visibleAt: day(1, 9),
        duplicate: false,
        properties: { distinct_id: 'u42', $identified_id: 'u42', $anon_id: 'anon2', $insert_id: 'i1' },
      },
      // …and later, on another, the app calls mixpanel.alias('u42') from its anonymous id.
      {
        event: 'Landing',
        utcMs: day(2, 10),
        visibleAt: day(2, 10),
        duplicate: false,
        properties: { distinct_id: 'anon1', $insert_id: 'i2' },
      },
      {
        event: '$create_alias',
        utcMs: day(2, 11),
        visibleAt: day(2, 11),
        duplicate: false,
        properties: { distinct_id: 'anon1', alias: 'u42', $insert_id: 'i3' },
      },
    ]
    const identityFake = await startFakeMixpanel({
      seed: 1,
      projects: [{ from: '2024-03-01', to: '2024-03-03', rows, profiles: [] }],
    })
    const identitySandbox = await startSandbox({ port: 0, dataDir: ':memory:' })
    try {
      const destination = createPostHogDestination({ host: identitySandbox.url, apiKey: 'phc_sandbox' })
      const { result } = await importInto(serviceAccountConfig(identityFake, { end: '2024-03-03' }), {
        destination,
      })
      expect(result.status).toBe('done')
      const persons = identitySandbox.persons()
      expect(persons.refused_merges).toEqual([])
      expect(persons.merged.find((p) => p.distinct_ids.includes('anon1'))?.distinct_ids).toEqual([
        'anon1',
        'anon2',
        'u42',
      ])
    } finally {
      await identitySandbox.close()
      await identityFake.close()
    }
  })
})
