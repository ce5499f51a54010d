import { deterministicUuid } from '@ph-import/core'
import { describe, expect, it } from 'vitest'
import { transformAmplitude } from '../src/transform.js'
import { iosAnonymousPurchase, webPageView } from './fixtures/records.js'
import { eventsOf, transformContext } from './helpers.js'

describe('transform: a logged-in web page view', () => {
  const ctx = transformContext()
  const [identify, groupIdentify, event] = eventsOf(transformAmplitude(webPageView, ctx))

  it('emits $identify linking the device to the user, before the event, at its time', () => {
    expect(identify).toEqual({
      event: '$identify',
      distinct_id: 'user_0042',
      uuid: deterministicUuid(
        'amplitude',
        'test-project',
        ['identify', 'user_0042', webPageView.device_id].join('\u0000'),
      ),
      timestamp: '2024-03-01T10:15:42.654321Z',
      properties: {
        $anon_distinct_id: '8E0B5E6C-8B1B-4B1C-9D9A-0F6E7B1C2D3ER',
        $import_source: 'amplitude',
        $geoip_disable: true,
      },
    })
  })

  it('emits $groupidentify for the group properties it carries', () => {
    expect(groupIdentify?.event).toBe('$groupidentify')
    expect(groupIdentify?.distinct_id).toBe('user_0042')
    expect(groupIdentify?.properties).toMatchObject({
      $group_type: 'company',
      $group_key: 'acme-3',
      $group_set: { name: 'Acme 3', plan: 'pro' },
    })
  })

  it('maps name, ids, uuid and the timestamp with microseconds', () => {
    expect(event?.event).toBe('$pageview')
    expect(event?.distinct_id).toBe('user_0042')
    expect(event?.uuid).toBe('0e8c4c1a-8a57-4d7e-9f1b-3c2d1e0f9a8b')
    expect(event?.timestamp).toBe('2024-03-01T10:15:42.654321Z')
  })

  it('maps page, device, geo and id fields', () => {
    expect(event?.properties).toMatchObject({
      $current_url: 'https://example.com/pricing?plan=pro',
      $host: 'example.com',
      $pathname: '/pricing',
      title: 'Pricing',
      $viewport_width: 1440,
      $viewport_height: 900,
      $referrer: 'https://www.google.com/',
      $referring_domain: 'www.google.com',
      experiment: 'b',
      $browser: 'Chrome',
      $browser_version: '120',
      $os: 'Mac OS X',
      $device_type: 'Desktop',
      $ip: '203.0.113.7',
      $geoip_country_name: 'Germany',
      $geoip_city_name: 'Berlin',
      $geoip_subdivision_1_name: 'Berlin',
      $geoip_latitude: 52.52,
      $geoip_longitude: 13.405,
      $amplitude_user_id: 'user_0042',
      $amplitude_device_id: '8E0B5E6C-8B1B-4B1C-9D9A-0F6E7B1C2D3ER',
      $device_id: '8E0B5E6C-8B1B-4B1C-9D9A-0F6E7B1C2D3ER',
      $amplitude_id: 501234567890,
      $amplitude_event_id: 117,
      $amplitude_session_id: 1709287200000,
      $amplitude_project_id: 187520,
      $amplitude_library: 'amplitude-ts/2.5.0',
      $amplitude_platform: 'Web',
      $groups: { company: 'acme-3' },
      $import_source: 'amplitude',
      $geoip_disable: true,
    })
    expect(event?.properties).not.toHaveProperty('[Amplitude] Page URL')
  })

  it('sets person properties, skipping EMPTY, initial_* as $set_once', () => {
    expect(event?.properties.$set).toEqual({
      plan: 'pro',
      $browser: 'Chrome',
      $browser_version: '120',
      $os: 'Mac OS X',
      $device_type: 'Desktop',
      $geoip_country_name: 'Germany',
      // What PostHog's world map and country breakdowns read; Amplitude gives only the name.
      $geoip_country_code: 'DE',
      $geoip_city_name: 'Berlin',
      $geoip_subdivision_1_name: 'Berlin',
    })
    expect(event?.properties.$geoip_country_code).toBe('DE')
    expect(event?.properties.$set_once).toEqual({
      $initial_referrer: 'https://www.google.com/',
      $initial_utm_source: 'newsletter',
    })
  })

  it('emits $identify and $groupidentify only once per pair / property set', () => {
    const again = eventsOf(
      transformAmplitude({ ...webPageView, uuid: '1e8c4c1a-8a57-4d7e-9f1b-3c2d1e0f9a8b' }, ctx),
    )
    expect(again.map((e) => e.event)).toEqual(['$pageview'])
    const changed = eventsOf(
      transformAmplitude(
        {
          ...webPageView,
          group_properties: { company: { 'acme-3': { name: 'Acme 3', plan: 'enterprise' } } },
        },
        ctx,
      ),
    )
    expect(changed.map((e) => e.event)).toEqual(['$groupidentify', '$pageview'])
  })
})

describe('transform: an anonymous iOS purchase', () => {
  const ctx = transformContext()
  const result = eventsOf(transformAmplitude(iosAnonymousPurchase, ctx))

  it('uses device_id as distinct_id and emits no $identify', () => {
    expect(result).toHaveLength(1)
    expect(result[0]?.distinct_id).toBe('C0FFEE00-1111-4222-8333-444455556666')
  })

  it('derives a deterministic uuid from device_id + $insert_id when uuid is invalid', () => {
    expect(result[0]?.uuid).toBe(
      deterministicUuid(
        'amplitude',
        'test-project',
        ['insert_id', iosAnonymousPurchase.device_id, 'ins-77'].join('\u0000'),
      ),
    )
  })

  it('parses a timestamp without fraction and maps the mobile OS', () => {
    expect(result[0]?.timestamp).toBe('2024-03-01T11:00:00.000Z')
    expect(result[0]?.properties).toMatchObject({
      revenue: 19.99,
      $os: 'iOS',
      $os_version: '17.2',
      $device_model: 'iPhone15,2',
      $device_manufacturer: 'Apple',
      $device_type: 'Mobile',
      $app_version: '3.2.1',
      $amplitude_carrier: 'Verizon',
    })
    expect(result[0]?.properties).not.toHaveProperty('$browser')
  })

  it('falls back to content when there is neither uuid nor $insert_id, stably', () => {
    const raw = { ...iosAnonymousPurchase, uuid: null, $insert_id: null }
    const a = eventsOf(transformAmplitude(raw, transformContext()))[0]
    const b = eventsOf(transformAmplitude({ ...raw }, transformContext()))[0]
    expect(a?.uuid).toBe(b?.uuid)
    expect(a?.uuid).not.toBe(result[0]?.uuid)
  })
})

describe('transform: default rules', () => {
  it('maps autocapture events with their $event_type', () => {
    const clicked = eventsOf(
      transformAmplitude(
        { ...iosAnonymousPurchase, event_type: '[Amplitude] Element Clicked' },
        transformContext(),
      ),
    )[0]
    const changed = eventsOf(
      transformAmplitude(
        { ...iosAnonymousPurchase, event_type: '[Amplitude] Element Changed' },
        transformContext(),
      ),
    )[0]
    expect([clicked?.event, clicked?.properties.$event_type]).toEqual(['$autocapture', 'click'])
    expect([changed?.event, changed?.properties.$event_type]).toEqual(['$autocapture', 'change'])
  })

  it('filters session_start and session_end, keeps other names as they are', () => {
    const ctx = transformContext()
    expect(transformAmplitude({ ...iosAnonymousPurchase, event_type: 'session_start' }, ctx)).toEqual({
      filtered: true,
      reason: 'session_start',
    })
    expect(transformAmplitude({ ...iosAnonymousPurchase, event_type: 'session_end' }, ctx)).toEqual({
      filtered: true,
      reason: 'session_end',
    })
    expect(
      eventsOf(transformAmplitude({ ...iosAnonymousPurchase, event_type: 'Sign Up' }, ctx))[0]?.event,
    ).toBe('Sign Up')
  })

  it('rejects a row with neither user_id nor device_id, and one with no usable time', () => {
    const ctx = transformContext()
    expect(transformAmplitude({ ...iosAnonymousPurchase, device_id: null }, ctx)).toMatchObject({
      rejected: true,
      code: 'missing_distinct_id',
    })
    expect(
      transformAmplitude({ ...iosAnonymousPurchase, event_time: 'yesterday', client_event_time: null }, ctx),
    ).toMatchObject({ rejected: true, code: 'invalid_timestamp' })
    expect(transformAmplitude('{"cut', ctx)).toMatchObject({ rejected: true, code: 'unparsable_record' })
  })

  it('takes device_id when user_id is a placeholder a client sent ("null", "undefined", 0), with no $identify', () => {
    for (const placeholder of ['null', 'undefined', 0, 'None']) {
      const out = eventsOf(transformAmplitude({ ...webPageView, user_id: placeholder }, transformContext()))
      expect(out.map((e) => [e.event, e.distinct_id])).not.toContainEqual(['$identify', expect.anything()])
      expect(out.at(-1)?.distinct_id).toBe(webPageView.device_id)
    }
  })

  it('keeps a placeholder id when the row has nothing else, for the validator to name (illegal_distinct_id)', () => {
    const out = eventsOf(
      transformAmplitude(
        { ...iosAnonymousPurchase, user_id: 'null', device_id: 'undefined' },
        transformContext(),
      ),
    )
    expect(out.at(-1)?.distinct_id).toBe('null')
  })

  it('falls back to client_event_time, then server_received_time', () => {
    const ctx = transformContext()
    const a = { ...iosAnonymousPurchase, event_time: null, client_event_time: '2024-03-01 10:59:59.5' }
    const b = { ...a, client_event_time: null, server_received_time: '2024-03-01 11:00:01.000001' }
    expect(eventsOf(transformAmplitude(a, ctx))[0]?.timestamp).toBe('2024-03-01T10:59:59.5Z')
    expect(eventsOf(transformAmplitude(b, ctx))[0]?.timestamp).toBe('2024-03-01T11:00:01.000001Z')
  })

  it("keeps event types and properties named like Object.prototype's members as they are", () => {
    const row = {
      ...iosAnonymousPurchase,
      event_type: 'constructor',
      event_properties: { toString: 't', constructor: 'c' },
      user_properties: { hasOwnProperty: 'h' },
    }
    const event = eventsOf(transformAmplitude(row, transformContext())).at(-1)!
    expect(event.event).toBe('constructor')
    expect(event.properties.$event_type).toBeUndefined()
    expect(event.properties).toMatchObject({ toString: 't', constructor: 'c' })
    expect(event.properties.$set).toMatchObject({ hasOwnProperty: 'h' })
  })

  it("turns Amplitude's $identify rows into $set updates", () => {
    const row = {
      ...webPageView,
      event_type: '$identify',
      event_properties: {},
      groups: {},
      user_properties: {
        $set: { plan: 'enterprise' },
        $setOnce: { signup: '2024-01-01' },
        $unset: { trial: '-' },
      },
    }
    const events = eventsOf(transformAmplitude(row, transformContext()))
    expect(events.map((e) => e.event)).toEqual(['$identify', '$set'])
    expect(events[1]?.properties.$set).toMatchObject({ plan: 'enterprise' })
    expect(events[1]?.properties.$set_once).toEqual({ signup: '2024-01-01' })
    expect(events[1]?.properties.$unset).toEqual(['trial'])
  })

  it("turns Amplitude's $groupidentify rows into $groupidentify events only", () => {
    const row = { ...webPageView, event_type: '$groupidentify', user_id: null }
    const events = eventsOf(transformAmplitude(row, transformContext()))
    expect(events.map((e) => e.event)).toEqual(['$groupidentify'])
  })

  it('accepts groups as a plain value and group_properties without a key level', () => {
    const row = { ...iosAnonymousPurchase, groups: { org: 'o-1' }, group_properties: { org: { tier: 2 } } }
    const events = eventsOf(transformAmplitude(row, transformContext()))
    expect(events[0]?.properties).toMatchObject({
      $group_type: 'org',
      $group_key: 'o-1',
      $group_set: { tier: 2 },
    })
    expect(events[1]?.properties.$groups).toEqual({ org: 'o-1' })
  })
})

describe('transform: overrides', () => {
  it('config flags switch identify, person properties, group identify and session filtering off', () => {
    const ctx = transformContext({
      config: { identify: false, setUserProperties: false, groupIdentify: false, keepSessionEvents: true },
    })
    const events = eventsOf(transformAmplitude(webPageView, ctx))
    expect(events.map((e) => e.event)).toEqual(['$pageview'])
    expect(events[0]?.properties).not.toHaveProperty('$set')
    expect(eventsOf(transformAmplitude({ ...webPageView, event_type: 'session_start' }, ctx))[0]?.event).toBe(
      'session_start',
    )
  })

  it('mapping tables from the mapping file merge over the defaults', () => {
    const ctx = transformContext({
      overrides: {
        eventNames: { Purchase: 'order_completed', '[Amplitude] Page Viewed': 'page' },
        eventProperties: { revenue: '$revenue' },
        initialUserProperties: { plan: '$initial_plan' },
        dropEvents: ['Purchase-never'],
        distinctIdFrom: ['device_id'],
      },
    })
    const purchase = eventsOf(transformAmplitude(iosAnonymousPurchase, ctx))[0]
    expect(purchase?.event).toBe('order_completed')
    expect(purchase?.properties.$revenue).toBe(19.99)
    const page = eventsOf(transformAmplitude(webPageView, ctx))
    expect(page.at(-1)?.event).toBe('page')
    expect(page.at(-1)?.distinct_id).toBe(webPageView.device_id)
    expect(page.at(-1)?.properties.$set_once).toMatchObject({ $initial_plan: 'pro' })
    expect(
      eventsOf(transformAmplitude({ ...webPageView, event_type: 'session_start' }, ctx)).at(-1)?.event,
    ).toBe('session_start')
  })

  it('refuses an invalid mapping section with a config error', () => {
    expect(() => transformAmplitude(webPageView, transformContext({ overrides: { eventName: {} } }))).toThrow(
      /invalid amplitude mapping/,
    )
  })
})
