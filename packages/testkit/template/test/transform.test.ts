import { testTransformContext } from '@ph-import/testkit'
import { describe, expect, it } from 'vitest'
import type { AcmeConfig } from '../src/schema.js'
import { transformAcme } from '../src/transform.js'

// Behaves like the runtime's context: the same uuids as a real run, `once` remembered across calls.
const ctx = testTransformContext<AcmeConfig>({
  source: 'acme',
  partition: { key: 'day:2024-01-01', params: {} },
})

describe('transformAcme', () => {
  it('maps an event and derives its uuid from the event id', () => {
    const raw = {
      id: 'evt_1',
      type: 'signup',
      user_id: 'user_1',
      time: 1704067200000,
      properties: { plan: 'pro' },
    }
    expect(transformAcme(raw, ctx)).toEqual({
      event: 'signup',
      distinct_id: 'user_1',
      uuid: ctx.uuid('evt_1'),
      timestamp: '2024-01-01T00:00:00.000Z',
      properties: { plan: 'pro', $lib: 'ph-import', $import_source: 'acme' },
    })
  })

  it('rejects an event without a user, with a reason code', () => {
    const raw = { id: 'evt_2', type: 'signup', user_id: null, time: 1704067200000, properties: {} }
    expect(transformAcme(raw, ctx)).toMatchObject({ rejected: true, code: 'missing_user' })
  })
})
