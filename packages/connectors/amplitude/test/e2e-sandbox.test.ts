import path from 'node:path'
import { contentHash, createPostHogDestination, deterministicUuid, runImport } from '@ph-import/core'
import { type Sandbox, type StoredEvent, startSandbox } from '@ph-import/sandbox'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { amplitudeSource } from '../src/index.js'
import { AmplitudeConfig } from '../src/schema.js'
import { type FakeAmplitude, type FakeAmplitudeRow, startFakeAmplitude } from '../src/testing.js'
import { countBy, FAST_BACKOFF, fakeConfig, NOW } from './harness.js'
import { tempDir } from './helpers.js'

// Upload days 2024-03-01..03 (the third is empty: the data set ends at midnight).
const FIRST_HOUR = '20240301T00'
const LAST_HOUR = '20240303T23'
const SESSION_EVENTS = new Set(['session_start', 'session_end'])

let fake: FakeAmplitude
let sandbox: Sandbox
let stored: StoredEvent[]
let rows: FakeAmplitudeRow[]
let uuidOf: (...parts: string[]) => string

beforeAll(async () => {
  fake = await startFakeAmplitude({
    seed: 23,
    start: '2024-03-01T00:00:00Z',
    end: '2024-03-03T00:00:00Z',
    events: 600,
    now: NOW,
    rowsPerPart: 25,
  })
  sandbox = await startSandbox({ port: 0, dataDir: ':memory:' })
  const config = fakeConfig(fake)
  const identity = amplitudeSource.identity?.(AmplitudeConfig.parse(config)) ?? 'default'
  uuidOf = (...parts) => deterministicUuid('amplitude', identity, parts.join('\u0000'))
  const result = await runImport({
    source: amplitudeSource,
    config,
    destination: createPostHogDestination({ host: sandbox.url, apiKey: 'phc_sandbox' }),
    stateDir: path.join(tempDir(), 'state'),
    now: NOW,
    rate: 1_000_000,
    backoff: FAST_BACKOFF,
  })
  expect(result.report.error).toBeUndefined()
  expect(result.status).toBe('done')
  stored = sandbox.events()
  rows = fake.exportable(FIRST_HOUR, LAST_HOUR).filter((r) => !SESSION_EVENTS.has(r.event_type))
})
afterAll(async () => {
  await sandbox?.close()
  await fake?.close()
})

/** The `$identify` of each (user_id, device_id) pair, keyed `user|device`. */
function identifyUuids(): Map<string, string> {
  const out = new Map<string, string>()
  for (const r of rows) {
    const user = r.user_id === null || r.user_id === undefined ? '' : String(r.user_id)
    if (user && r.device_id && user !== r.device_id)
      out.set(`${user}|${r.device_id}`, uuidOf('identify', user, r.device_id))
  }
  return out
}

/** One `$groupidentify` per distinct (group, properties) the rows carry. */
function groupIdentifyUuids(): Set<string> {
  const out = new Set<string>()
  for (const r of rows) {
    const key = (r.groups as { company?: string[] }).company?.[0]
    const props = (r.group_properties as { company?: Record<string, unknown> }).company?.[key ?? '']
    if (key && props) out.add(uuidOf('groupidentify', 'company', key, contentHash(props, 16), ''))
  }
  return out
}

const byUuid = (uuid: string) => {
  const found = stored.filter((e) => e.uuid === uuid)
  expect(found).toHaveLength(1)
  return found[0] as StoredEvent
}

describe('end to end: fake Amplitude → ph-import → PostHog sandbox (real HTTP)', () => {
  it('delivers every generated event exactly once, and nothing else', () => {
    expect(rows.length).toBeGreaterThan(300)
    const identifies = identifyUuids()
    const groups = groupIdentifyUuids()
    expect(identifies.size).toBeGreaterThan(0)
    expect(groups.size).toBeGreaterThan(0)
    const expected = new Set([...rows.map((r) => r.uuid), ...identifies.values(), ...groups])
    expect(sandbox.uniqueUuids()).toEqual(expected)
    const dupes = [...countBy(stored, (e) => e.uuid)].filter(([, n]) => n > 1)
    expect(dupes).toEqual([])
    const stats = sandbox.stats()
    expect(stats.received).toBe(expected.size)
    expect(stats.historical).toBe(expected.size)
    expect(stats.rejected_requests).toEqual({})
    expect(stats.events_by_name.$identify).toBe(identifies.size)
    expect(stats.events_by_name.$groupidentify).toBe(groups.size)
  })

  it('delivers each $identify before the first event of its (user, device) pair', () => {
    const identifySeq = new Map<string, number>()
    for (const e of stored)
      if (e.event === '$identify')
        identifySeq.set(`${e.distinct_id}|${e.properties.$anon_distinct_id}`, e.seq)
    expect(identifySeq.size).toBe(identifyUuids().size)
    const firstUse = new Map<string, number>()
    for (const e of stored) {
      const user = e.properties.$amplitude_user_id
      if (e.event === '$identify' || typeof user !== 'string') continue
      const pair = `${user}|${e.properties.$device_id}`
      if (!firstUse.has(pair)) firstUse.set(pair, e.seq)
    }
    expect(firstUse.size).toBe(identifySeq.size)
    const late = [...firstUse].filter(([pair, seq]) => !((identifySeq.get(pair) ?? Infinity) < seq))
    expect(late).toEqual([])
  })

  it('maps a logged-in web page view field by field', () => {
    const row = rows.find(
      (r) =>
        r.event_type === '[Amplitude] Page Viewed' &&
        r.user_id &&
        r.platform === 'Web' &&
        r.country === 'United States' &&
        (r.groups as { company?: string[] }).company &&
        (r.user_properties as Record<string, unknown>).initial_utm_source === 'google',
    )
    if (!row) throw new Error('the seed has no logged-in US web page view in a company: change the seed')
    const e = byUuid(row.uuid)
    const page = row.event_properties as Record<string, unknown>
    const user = row.user_properties as Record<string, unknown>
    const [company] = (row.groups as { company: string[] }).company
    expect(e.event).toBe('$pageview')
    expect(e.distinct_id).toBe(row.user_id)
    expect(e.timestamp).toBe(`${row.event_time.replace(' ', 'T')}Z`)
    const context = {
      $browser: row.os_name,
      $browser_version: row.os_version,
      $os: row.device_family,
      $device_type: 'Desktop',
      $geoip_country_name: row.country,
      $geoip_country_code: expect.stringMatching(/^[A-Z]{2}$/),
      $geoip_city_name: row.city,
      $geoip_subdivision_1_name: row.region,
    }
    expect(e.properties).toEqual({
      $current_url: page['[Amplitude] Page URL'],
      $host: page['[Amplitude] Page Domain'],
      $pathname: page['[Amplitude] Page Path'],
      title: page['[Amplitude] Page Title'],
      $viewport_width: page['[Amplitude] Viewport Width'],
      $viewport_height: page['[Amplitude] Viewport Height'],
      $referrer: page.referrer,
      $referring_domain: page.referring_domain,
      $amplitude_user_id: row.user_id,
      $amplitude_device_id: row.device_id,
      $amplitude_id: row.amplitude_id,
      $amplitude_event_id: row.event_id,
      $amplitude_session_id: row.session_id,
      // A UUIDv7 whose time is the session's start.
      $session_id: expect.stringMatching(
        new RegExp(
          `^${Number(row.session_id)
            .toString(16)
            .padStart(12, '0')
            .replace(/^(.{8})/, '$1-')}-7`,
        ),
      ),
      $amplitude_insert_id: row.$insert_id,
      $amplitude_project_id: row.app,
      $amplitude_platform: 'Web',
      $amplitude_library: row.library,
      $amplitude_language: row.language,
      $amplitude_dma: row.dma,
      $ip: row.ip_address,
      ...context,
      $device_id: row.device_id,
      $import_source: 'amplitude',
      $geoip_disable: true,
      $groups: { company },
      $set: { plan: user.plan, ...context },
      $set_once: { $initial_utm_source: 'google', $initial_referrer: user.initial_referrer },
    })
  })

  it('maps a mobile purchase, an anonymous event and an Amplitude $identify row', () => {
    const purchase = rows.find((r) => r.event_type === 'Purchase' && r.platform === 'iOS' && r.user_id)
    if (!purchase) throw new Error('the seed has no logged-in iOS purchase: change the seed')
    const p = byUuid(purchase.uuid)
    expect([p.event, p.distinct_id]).toEqual(['Purchase', purchase.user_id])
    expect(p.timestamp).toBe(`${purchase.event_time.replace(' ', 'T')}Z`)
    const props = purchase.event_properties as Record<string, unknown>
    expect(p.properties).toMatchObject({
      revenue: props.revenue,
      currency: 'USD',
      $os: 'iOS',
      $os_version: purchase.os_version,
      $device_model: purchase.device_model,
      $device_manufacturer: 'Apple',
      $device_type: 'Mobile',
      $app_version: purchase.version_name,
      $amplitude_carrier: purchase.device_carrier,
      $device_id: purchase.device_id,
    })
    expect(p.properties.$browser).toBeUndefined()

    const anonymous = rows.find((r) => !r.user_id && r.event_type === 'Search')
    if (!anonymous) throw new Error('the seed has no anonymous search: change the seed')
    const a = byUuid(anonymous.uuid)
    expect([a.event, a.distinct_id]).toEqual(['Search', anonymous.device_id])
    expect(a.properties.query).toBe((anonymous.event_properties as Record<string, unknown>).query)
    expect(a.properties.$amplitude_user_id).toBeUndefined()
    // "EMPTY" is Amplitude's "no value": it must not reach the person.
    expect((a.properties.$set as Record<string, unknown>).plan).toBeUndefined()

    const identify = rows.find((r) => r.event_type === '$identify')
    if (!identify) throw new Error('the seed has no $identify row: change the seed')
    const i = byUuid(identify.uuid)
    expect([i.event, i.distinct_id]).toEqual(['$set', identify.user_id])
    expect(i.timestamp).toBe(`${identify.event_time.replace(' ', 'T')}Z`)
    const person = sandbox.persons({ distinct_id: String(identify.user_id) }).persons[0]
    expect(person?.linked_distinct_ids).toContain(identify.device_id)
  })
})
