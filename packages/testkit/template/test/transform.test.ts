import { deterministicUuid, type TransformContext } from '@ph-import/core'
import { describe, expect, it } from 'vitest'
import type { AcmeConfig } from '../src/schema.js'
import { transformAcme } from '../src/transform.js'

const ctx = {
  source: 'acme',
  identity: 'default',
  partition: { key: 'day:2024-01-01', params: {} },
  uuid: (...parts) => deterministicUuid('acme', 'default', parts.join('\u0000')),
  uuidFromContent: () => '',
  once: () => true,
  reject: (code, message) => ({ rejected: true, code, message }),
  filter: (reason) => ({ filtered: true, reason }),
} satisfies TransformContext<AcmeConfig>

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
