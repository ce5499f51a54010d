import { describe, expect, it } from 'vitest'
import { canonicalJson, contentHash, deterministicUuid, isUuid, uuidV5 } from '../src/util/uuid.js'

describe('deterministic uuids', () => {
  it('implements RFC 4122 UUIDv5 (known vector)', () => {
    // Python: uuid.uuid5(uuid.NAMESPACE_DNS, 'www.example.com')
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    )
  })

  it('never changes: uuids staged or sent by earlier versions must come out the same', () => {
    // Pinned from the first implementation; a resend dedupes in PostHog only if these hold.
    const pinned: [string, string, string, string][] = [
      ['mixpanel', 'project:1234', 'insert_id\u0000abc', 'aca8a3c8-9abe-52fa-aab9-9aca57e76c73'],
      ['amplitude', 'p', 'ünïcødé 日本語 🎉', 'e0d02823-7adb-5f7e-916c-7fe6f812c246'],
      // Longer than the scratch buffer, in one and in two bytes a character.
      ['csv', 'f', 'x'.repeat(5000), '895e189e-8e80-586a-b603-b5f2f2c6579d'],
      ['csv', 'f', 'é'.repeat(1400), '13cbf252-f76f-56d2-a025-8357b06739a4'],
      ['csv', 'f', '', '3d22df5f-63d3-5de1-a14f-ab7e4b07e342'],
    ]
    for (const [source, identity, key, uuid] of pinned)
      expect(deterministicUuid(source, identity, key)).toBe(uuid)
  })

  it('is stable for the same inputs and differs for any changed part', () => {
    const a = deterministicUuid('amplitude', 'project-1', 'evt-1')
    expect(deterministicUuid('amplitude', 'project-1', 'evt-1')).toBe(a)
    expect(deterministicUuid('amplitude', 'project-2', 'evt-1')).not.toBe(a)
    expect(deterministicUuid('mixpanel', 'project-1', 'evt-1')).not.toBe(a)
    expect(deterministicUuid('amplitude', 'project-1', 'evt-2')).not.toBe(a)
    expect(isUuid(a)).toBe(true)
    expect(a[14]).toBe('5')
  })

  it('hashes records canonically: key order does not matter, values do', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[1,{"x":1,"y":2}]},"b":1}',
    )
    expect(contentHash({ a: 1, b: 2 })).toBe(contentHash({ b: 2, a: 1 }))
    expect(contentHash({ a: 1, b: 2 })).not.toBe(contentHash({ a: 1, b: 3 }))
  })
})
