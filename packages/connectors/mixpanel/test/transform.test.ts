import { deterministicUuid, type PostHogEvent } from '@ph-import/core'
import { describe, expect, it } from 'vitest'
import { profilesPartition, windowPartition } from '../src/plan.js'
import { transformEvent } from '../src/transform-event.js'
import { transformProfile } from '../src/transform-profile.js'
import { transformContext } from './helpers.js'

const utc = { timezone: 'UTC', rangeStartMs: null, rangeEndMs: null }
const window = windowPartition(utc, '2024-03-01', '2024-03-07')
const T = Date.parse('2024-03-02T10:11:12.345Z')

function pageView(extra: Record<string, unknown> = {}) {
  return {
    event: '$mp_web_page_view',
    properties: {
      time: T,
      distinct_id: 'user-7',
      $user_id: 'user-7',
      $device_id: '18e0f6d2-aa3c-4e8e-9b7a-1c2d3e4f5a6b',
      $insert_id: 'a9c1f0e2b3d4c5e6f708192a3b4c5d6e',
      mp_processing_time_ms: T + 2000,
      $mp_api_endpoint: 'api.mixpanel.com',
      $mp_api_timestamp_ms: T + 500,
      $geo_source: 'reverse_geocoding',
      mp_lib: 'web',
      $lib_version: '2.55.1',
      $city: 'Berlin',
      $region: 'Berlin',
      mp_country_code: 'DE',
      current_url_path: '/pricing',
      current_domain: 'example.com',
      current_page_title: 'Pricing',
      current_url_protocol: 'https:',
      $current_url: 'https://example.com/pricing',
      ...extra,
    },
  }
}

describe('transform: events', () => {
  it("keeps properties and events named like Object.prototype's members as they are", () => {
    const ctx = transformContext(window)
    const row = pageView({ constructor: 'c', toString: 't', hasOwnProperty: 'h' })
    const out = transformEvent({ ...row, event: 'constructor' }, ctx) as PostHogEvent[]
    const event = out[out.length - 1] as PostHogEvent
    expect(event.event).toBe('constructor')
    expect(event.properties).toMatchObject({ constructor: 'c', toString: 't', hasOwnProperty: 'h' })
  })

  it('maps a page view with a merge pair: $identify first, then $pageview with PostHog names', () => {
    const ctx = transformContext(window)
    const out = transformEvent(pageView(), ctx) as PostHogEvent[]
    expect(out.map((e) => e.event)).toEqual(['$identify', '$pageview'])
    const [identify, view] = out as [PostHogEvent, PostHogEvent]
    expect(identify).toMatchObject({
      distinct_id: 'user-7',
      timestamp: '2024-03-02T10:11:12.345Z',
      properties: { $anon_distinct_id: '18e0f6d2-aa3c-4e8e-9b7a-1c2d3e4f5a6b', $import_source: 'mixpanel' },
    })
    expect(view.distinct_id).toBe('user-7')
    expect(view.timestamp).toBe('2024-03-02T10:11:12.345Z')
    expect(view.uuid).toBe(
      deterministicUuid(
        'mixpanel',
        'project:1234',
        ['a9c1f0e2b3d4c5e6f708192a3b4c5d6e', '$mp_web_page_view', 'user-7', T].join('\u0000'),
      ),
    )
    expect(view.properties).toEqual({
      $user_id: 'user-7',
      $device_id: '18e0f6d2-aa3c-4e8e-9b7a-1c2d3e4f5a6b',
      mp_lib: 'web',
      $lib_version: '2.55.1',
      $geoip_city_name: 'Berlin',
      $geoip_subdivision_1_name: 'Berlin',
      $geoip_country_code: 'DE',
      $geoip_country_name: 'Germany',
      $pathname: '/pricing',
      $host: 'example.com',
      title: 'Pricing',
      current_url_protocol: 'https:',
      $current_url: 'https://example.com/pricing',
      $import_source: 'mixpanel',
      $geoip_disable: true,
    })
    // The pair is linked once per job; later rows are plain events.
    const again = transformEvent(pageView({ $insert_id: 'other', time: T + 1 }), ctx) as PostHogEvent
    expect(again.event).toBe('$pageview')
  })

  it('collapses Mixpanel duplicates (same dedupe key, different processing time) to one uuid', () => {
    const a = transformEvent(pageView({ $user_id: undefined }), transformContext(window)) as PostHogEvent
    const b = transformEvent(
      pageView({ $user_id: undefined, mp_processing_time_ms: T + 9999 }),
      transformContext(window),
    ) as PostHogEvent
    expect(a.uuid).toBe(b.uuid)
    const c = transformEvent(pageView({ $user_id: undefined, $insert_id: 'x' }), transformContext(window))
    expect((c as PostHogEvent).uuid).not.toBe(a.uuid)
  })

  it('accepts seconds as well as ms, keeps ms precision, and strips $device:', () => {
    const row = {
      event: 'Signed Up',
      properties: { time: 1709374272, distinct_id: '$device:dev-1', $device_id: 'dev-1' },
    }
    const e = transformEvent(row, transformContext(window)) as PostHogEvent
    expect(e).toMatchObject({
      event: 'Signed Up',
      distinct_id: 'dev-1',
      timestamp: '2024-03-02T10:11:12.000Z',
    })
  })

  it('uses $distinct_id_before_identity for device-style canonical ids, as PostHog does', () => {
    const row = {
      event: 'Opened',
      properties: { time: T, distinct_id: 'A1B2-C3D4', $distinct_id_before_identity: 'user-9' },
    }
    expect((transformEvent(row, transformContext(window)) as PostHogEvent).distinct_id).toBe('user-9')
    const rekeyed = {
      event: 'Opened',
      properties: {
        time: T,
        distinct_id: 'user-9',
        $distinct_id_before_identity: '$device:d1',
        $is_reshuffled: true,
      },
    }
    expect((transformEvent(rekeyed, transformContext(window)) as PostHogEvent).distinct_id).toBe('user-9')
  })

  it('turns Original ID Merge rows into PostHog identity events', () => {
    const ctx = transformContext(window)
    const identify = transformEvent(
      {
        event: '$identify',
        properties: { time: T, distinct_id: 'u1', $identified_id: 'u1', $anon_id: 'anon-1' },
      },
      ctx,
    ) as PostHogEvent
    expect(identify).toMatchObject({
      event: '$identify',
      distinct_id: 'u1',
      properties: { $anon_distinct_id: 'anon-1' },
    })
    const alias = transformEvent(
      { event: '$create_alias', properties: { time: T, distinct_id: 'anon-2', alias: 'u2' } },
      ctx,
    ) as PostHogEvent
    // PostHog's direction: the user's id goes on, the earlier id is merged into it.
    expect(alias).toMatchObject({
      event: '$create_alias',
      distinct_id: 'u2',
      properties: { alias: 'anon-2' },
    })
    // Re-keyed to the user, the row still names the id the alias was made from (not the user twice).
    const rekeyedAlias = transformEvent(
      {
        event: '$create_alias',
        properties: { time: T, distinct_id: 'u5', $distinct_id_before_identity: 'anon-5', alias: 'u5' },
      },
      ctx,
    ) as PostHogEvent
    expect(rekeyedAlias).toMatchObject({ distinct_id: 'u5', properties: { alias: 'anon-5' } })
    const merge = transformEvent(
      { event: '$merge', properties: { time: T, distinct_id: 'u3', $distinct_ids: ['u3', 'anon-3'] } },
      ctx,
    ) as PostHogEvent
    expect(merge).toMatchObject({
      event: '$merge_dangerously',
      distinct_id: 'u3',
      properties: { alias: 'anon-3' },
    })
    expect(
      transformEvent({ event: '$identify', properties: { time: T, distinct_id: 'u1' } }, ctx),
    ).toMatchObject({
      rejected: true,
      code: 'invalid_identity_event',
    })
  })

  it('converts pre-2023 local epochs with the project time zone, across DST', () => {
    const la = windowPartition({ ...utc, timezone: 'America/Los_Angeles' }, '2024-03-09', '2024-03-11')
    // 09:00 local on 9 March is PST (UTC-8); on 11 March it is PDT (UTC-7).
    const before = Date.parse('2024-03-09T09:00:00.250Z')
    const after = Date.parse('2024-03-11T09:00:00.250Z')
    const ctx = transformContext(la)
    const e1 = transformEvent(
      { event: 'x', properties: { time: before, distinct_id: 'u' } },
      ctx,
    ) as PostHogEvent
    const e2 = transformEvent(
      { event: 'x', properties: { time: after, distinct_id: 'u' } },
      ctx,
    ) as PostHogEvent
    expect(e1.timestamp).toBe('2024-03-09T17:00:00.250Z')
    expect(e2.timestamp).toBe('2024-03-11T16:00:00.250Z')
  })

  it('rejects or filters with a reason instead of guessing', () => {
    const ctx = transformContext(windowPartition({ ...utc, rangeStartMs: T }, '2024-03-01', '2024-03-07'))
    expect(transformEvent({ $unparsable: 'terminated' }, ctx)).toMatchObject({ code: 'unparsable_line' })
    expect(transformEvent({ event: 'x' }, ctx)).toMatchObject({ code: 'malformed_record' })
    expect(transformEvent({ event: 'x', properties: { distinct_id: 'u' } }, ctx)).toMatchObject({
      code: 'missing_time',
    })
    expect(transformEvent({ event: 'x', properties: { time: T } }, ctx)).toMatchObject({
      code: 'missing_distinct_id',
    })
    expect(transformEvent({ event: 'x', properties: { time: T - 1, distinct_id: 'u' } }, ctx)).toEqual({
      filtered: true,
      reason: 'before_start',
    })
  })
})

describe('transform: profiles', () => {
  it('turns an Engage profile into a $set person update with PostHog names', () => {
    const ctx = transformContext(profilesPartition('UTC', '2024-03-01T00:00:00.000Z'))
    const e = transformProfile(
      {
        $distinct_id: 'user-7',
        $properties: {
          $email: 'a@example.com',
          $name: 'Ada L',
          $first_name: 'Ada',
          $last_name: 'L',
          $phone: '+15550100',
          $city: 'London',
          $region: 'England',
          $country_code: 'GB',
          $timezone: 'Europe/London',
          $created: '2022-05-01T10:00:00',
          $last_seen: '2024-01-02T03:04:05',
          plan: 'pro',
        },
      },
      ctx,
    ) as PostHogEvent
    expect(e).toEqual({
      event: '$set',
      distinct_id: 'user-7',
      uuid: deterministicUuid('mixpanel', 'project:1234', 'profile\u0000user-7'),
      timestamp: '2022-05-01T10:00:00.000Z',
      properties: {
        $set: {
          email: 'a@example.com',
          name: 'Ada L',
          first_name: 'Ada',
          last_name: 'L',
          phone: '+15550100',
          $geoip_city_name: 'London',
          $geoip_subdivision_1_name: 'England',
          $geoip_country_code: 'GB',
          $geoip_country_name: 'United Kingdom',
          $geoip_time_zone: 'Europe/London',
          mixpanel_last_seen: '2024-01-02T03:04:05.000Z',
          plan: 'pro',
        },
        $set_once: { created_at: '2022-05-01T10:00:00.000Z' },
        $import_source: 'mixpanel',
        $geoip_disable: true,
      },
    })
  })
})

describe('transform: ids a client sent for a missing one, and rows without $insert_id', () => {
  it('takes the device id when distinct_id is a placeholder, and links no placeholder user', () => {
    const row = {
      event: 'Opened',
      properties: { time: T, distinct_id: 'undefined', $device_id: 'dev-5', $user_id: 'null' },
    }
    const out = transformEvent(row, transformContext(window)) as PostHogEvent
    expect(out).toMatchObject({ event: 'Opened', distinct_id: 'dev-5' })
    // Nothing but a placeholder: the row keeps it, and the validator dead-letters it by name (illegal_distinct_id).
    const none = { event: 'Opened', properties: { time: T, distinct_id: 'None' } }
    expect(transformEvent(none, transformContext(window))).toMatchObject({ distinct_id: 'None' })
  })

  it('keeps two rows without $insert_id in the same second apart, and collapses a row downloaded twice', () => {
    const ctx = transformContext(window)
    const purchase = (amount: number, processed: number) => ({
      event: 'Purchase',
      properties: { time: 1709374272, distinct_id: 'bob', amount, mp_processing_time_ms: processed },
    })
    const first = transformEvent(purchase(10, 1709374272100), ctx) as PostHogEvent
    const second = transformEvent(purchase(25, 1709374272400), ctx) as PostHogEvent
    expect(second).toMatchObject({ event: 'Purchase', properties: { amount: 25 } })
    expect(first.uuid).not.toBe(second.uuid)
    expect(transformEvent(purchase(10, 1709374272100), ctx)).toMatchObject({
      filtered: true,
      reason: 'duplicate_in_export',
    })
    // Re-keyed to its user later (Mixpanel marks such rows), the row keeps its uuid.
    const rekeyed = purchase(10, 1709374272100)
    const moved = {
      ...rekeyed,
      properties: {
        ...rekeyed.properties,
        distinct_id: 'user-bob',
        $distinct_id_before_identity: 'bob',
        $is_reshuffled: true,
      },
    }
    expect((transformEvent(moved, transformContext(window)) as PostHogEvent).uuid).toBe(first.uuid)
  })
})
