import { describe, expect, it } from 'vitest'
import { isIllegalDistinctId, MAX_EVENT_BYTES, validateEvent } from '../src/contracts/posthog-event.js'
import { isIsoUtcTimestamp } from '../src/util/time.js'

const good = {
  event: 'signup',
  distinct_id: 'user-1',
  uuid: '0b5a6f2e-3d1c-5f4b-8a9e-1c2d3e4f5a6b',
  timestamp: '2024-03-01T12:00:00.123Z',
  properties: { plan: 'pro' },
}

describe('validateEvent mirrors PostHog capture rules', () => {
  it('accepts a well-formed event and returns its serialized line', () => {
    const v = validateEvent(good)
    expect(v.ok).toBe(true)
    if (v.ok) expect(JSON.parse(v.serialized)).toEqual(good)
  })

  it.each([
    [{ ...good, event: '' }, 'missing_event_name'],
    [{ ...good, event: '   ' }, 'missing_event_name'],
    [{ ...good, distinct_id: '' }, 'missing_distinct_id'],
    [{ ...good, distinct_id: 42 }, 'missing_distinct_id'],
    [{ ...good, distinct_id: 'x'.repeat(201) }, 'distinct_id_too_long'],
    [{ ...good, distinct_id: 'null' }, 'illegal_distinct_id'],
    [{ ...good, distinct_id: 'Anonymous' }, 'illegal_distinct_id'],
    [{ ...good, uuid: 'not-a-uuid' }, 'invalid_uuid'],
    [{ ...good, uuid: undefined }, 'invalid_uuid'],
    [{ ...good, timestamp: '2024-03-01 12:00:00' }, 'invalid_timestamp'],
    [{ ...good, timestamp: '2024-02-30T00:00:00.000Z' }, 'invalid_timestamp'],
    [{ ...good, timestamp: '2024-03-01T12:00:00+01:00' }, 'invalid_timestamp'],
    [{ ...good, properties: [] }, 'invalid_properties'],
    [{ ...good, properties: { blob: 'x'.repeat(MAX_EVENT_BYTES) } }, 'event_too_large'],
  ])('rejects %#: %s', (event, code) => {
    const v = validateEvent(event)
    expect(v.ok).toBe(false)
    if (!v.ok) {
      expect(v.code).toBe(code)
      expect(v.message.length).toBeGreaterThan(5)
    }
  })

  it('serializes exactly as JSON.stringify, whatever the properties object is', () => {
    // Built key by key past V8's fast-object limit (a hash table), with integer-like keys, an undefined
    // value and a getter: the copy taken before serializing must keep every one of them as they were.
    const manyKeys: Record<string, unknown> = {}
    for (let i = 0; i < 60; i++)
      manyKeys[i % 3 === 0 ? String(60 - i) : `key ${i}`] = i % 5 === 0 ? undefined : i
    Object.defineProperty(manyKeys, 'computed', { enumerable: true, get: () => 'from a getter' })
    class Props {
      readonly plan = 'pro'
      toJSON() {
        return { plan: 'serialized by toJSON' }
      }
    }
    class Event {
      readonly event = good.event
      readonly distinct_id = good.distinct_id
      readonly uuid = good.uuid
      readonly timestamp = good.timestamp
      readonly properties = { plan: 'pro' }
      toJSON() {
        return { ...this, properties: { plan: 'serialized by the event' } }
      }
    }
    const extraField = { ...good, $set: { plan: 'pro' } }
    for (const event of [
      { ...good, properties: manyKeys },
      { ...good, properties: new Props() },
      { ...good, properties: Object.assign(Object.create(null), { plan: 'pro' }) },
      new Event(),
      extraField,
    ]) {
      const v = validateEvent(event)
      expect(v.ok && v.serialized).toBe(JSON.stringify(event))
    }
  })

  it('measures an event as the Kafka message capture makes of it: its text escaped once more, in an envelope', () => {
    // 990 kB of plain text fits; 420 kB of quotes is 840 kB as JSON, 1.68 MB once escaped for Kafka.
    expect(validateEvent({ ...good, properties: { text: 'x'.repeat(990_000) } }).ok).toBe(true)
    const quoted = validateEvent({ ...good, properties: { text: '"'.repeat(420_000) } })
    expect(quoted.ok === false && quoted.code).toBe('event_too_large')
    expect(quoted.ok === false && quoted.message).toMatch(
      /^event is 840\d{3} bytes serialized, 168\d{4} in capture's Kafka message/,
    )
  })

  it('dead-letters a $groupidentify that cannot address a group: no type or key, or either over 400 characters', () => {
    const group = (props: Record<string, unknown>) =>
      validateEvent({
        ...good,
        event: '$groupidentify',
        properties: { $group_set: { name: 'Acme' }, ...props },
      })
    expect(group({ $group_type: 'company', $group_key: 'acme' }).ok).toBe(true)
    expect(group({ $group_type: 'company', $group_key: 42 }).ok).toBe(true)
    expect(group({ $group_type: 'company', $group_key: 'k'.repeat(400) }).ok).toBe(true)
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ $group_key: 'acme' }, /^\$groupidentify without a \$group_type$/],
      [{ $group_type: 'company', $group_key: '' }, /^\$groupidentify without a \$group_key$/],
      [{ $group_type: 'company', $group_key: 'k'.repeat(401) }, /^\$group_key has 401 characters/],
      [{ $group_type: 't'.repeat(500), $group_key: 'acme' }, /^\$group_type has 500 characters/],
    ]
    for (const [props, message] of cases) {
      const v = group(props)
      expect(v.ok === false && v.code).toBe('invalid_group')
      expect(v.ok === false && v.message).toMatch(message)
    }
    // Other events may carry such properties: only a group update is addressed by them.
    expect(validateEvent({ ...good, properties: { $group_key: '' } }).ok).toBe(true)
  })

  it('dead-letters a lone UTF-16 surrogate, which capture cannot parse; whole pairs and look-alike text pass', () => {
    for (const text of ['cut mid-emoji \ud83d', '\udc00 alone', 'backslash then one \\\ud800']) {
      const v = validateEvent({ ...good, properties: { text } })
      expect(v.ok === false && v.code).toBe('invalid_unicode')
      expect(v.ok === false && v.message).toMatch(/lone UTF-16 surrogate \(\\ud[89a-f][0-9a-f]{2}\)/)
    }
    for (const text of ['🦔 a whole pair', 'C:\\udp\\ud800 as text']) {
      expect(validateEvent({ ...good, properties: { text } }).ok).toBe(true)
    }
  })

  it('accepts exactly 200 characters and multi-byte ids', () => {
    expect(validateEvent({ ...good, distinct_id: 'x'.repeat(200) }).ok).toBe(true)
    expect(validateEvent({ ...good, distinct_id: 'ユーザー' }).ok).toBe(true)
    // Capture counts characters: 150 emoji are 300 UTF-16 units and still fit.
    expect(validateEvent({ ...good, distinct_id: '🦔'.repeat(150) }).ok).toBe(true)
    const long = validateEvent({ ...good, distinct_id: '🦔'.repeat(201) })
    expect(long.ok === false && long.code).toBe('distinct_id_too_long')
    expect(long.ok === false && long.message).toContain('has 201 characters')
  })

  it('refuses a merge with an id PostHog will not merge on: the event would merge nothing', () => {
    const merges = [
      { ...good, event: '$identify', properties: { $anon_distinct_id: 'null' } },
      { ...good, event: '$create_alias', properties: { alias: ' "undefined" ' } },
      { ...good, event: '$merge_dangerously', properties: { alias: '0' } },
    ]
    for (const event of merges) {
      const v = validateEvent(event)
      expect(v.ok === false && v.code).toBe('illegal_distinct_id')
      expect(v.ok === false && v.message).toContain('would merge nothing')
    }
    // The same ids elsewhere, or a merge with a real id, are fine.
    expect(
      validateEvent({ ...good, event: '$identify', properties: { $anon_distinct_id: 'device-1' } }).ok,
    ).toBe(true)
    expect(validateEvent({ ...good, event: 'signup', properties: { alias: 'null' } }).ok).toBe(true)
    expect(validateEvent({ ...good, event: '$identify', properties: { $set: { plan: 'pro' } } }).ok).toBe(
      true,
    )
  })

  it('knows the ids PostHog refuses to merge, case rules included', () => {
    for (const id of [
      'anonymous',
      'GUEST',
      'distinct_id',
      'undefined',
      'True',
      '[object Object]',
      'NaN',
      'None',
      '0',
      ' ',
      '"null"',
      "'undefined'",
    ]) {
      expect(isIllegalDistinctId(id), id).toBe(true)
    }
    for (const id of ['NULL', 'Nan', 'user-0', 'none-such', '00'])
      expect(isIllegalDistinctId(id), id).toBe(false)
  })
})

describe('isIsoUtcTimestamp: the wire timestamp form, checked by hand', () => {
  it.each([
    ['2024-03-01T12:00:00Z', true],
    ['2024-03-01T12:00:00.1Z', true],
    ['2024-03-01T12:00:00.123456789Z', true],
    ['2024-02-29T23:59:59.999Z', true],
    ['2000-02-29T00:00:00.000Z', true],
    ['1900-02-29T00:00:00.000Z', false],
    ['2023-02-29T00:00:00.000Z', false],
    ['2024-04-31T00:00:00.000Z', false],
    ['2024-13-01T00:00:00.000Z', false],
    ['2024-00-01T00:00:00.000Z', false],
    ['2024-01-00T00:00:00.000Z', false],
    ['2024-01-01T24:00:00.000Z', false],
    ['2024-01-01T23:60:00.000Z', false],
    ['2024-01-01T23:59:60.000Z', false],
    ['2024-03-01T12:00:00.Z', false],
    ['2024-03-01T12:00:00.1234567890Z', false],
    ['2024-03-01T12:00:00.12aZ', false],
    ['2024-03-01 12:00:00.000Z', false],
    ['2024-03-01T12:00:00.000', false],
    ['2024-3-01T12:00:00.000Z', false],
    ['+02024-03-01T12:00:00Z', false],
    ['2024-03-01T12:00:00.000z', false],
    ['', false],
  ])('%s → %s', (value, expected) => {
    expect(isIsoUtcTimestamp(value)).toBe(expected)
  })
  it('refuses non-strings', () => {
    expect(isIsoUtcTimestamp(1709294400000)).toBe(false)
    expect(isIsoUtcTimestamp(null)).toBe(false)
  })
})
