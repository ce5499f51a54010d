import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { SandboxClient } from '../src/index.js'
import { sendBatch, useSandbox } from './helpers.js'

const sandbox = useSandbox()
const TOTAL = 200_000
const BATCH = 5000

describe('scale', () => {
  it('streams 200k unique uuids that match what was sent, duplicates counted once', {
    timeout: 120_000,
  }, async () => {
    const expected = new Set<string>()
    for (let from = 0; from < TOTAL; from += BATCH) {
      const batch = Array.from({ length: BATCH }, (_, i) => {
        const uuid = randomUUID()
        expected.add(uuid)
        return { event: 'e', distinct_id: `u${i % 100}`, uuid, timestamp: '2024-01-01T00:00:00Z' }
      })
      expect((await sendBatch(sandbox(), batch)).status).toBe(200)
      if (from === 0) expect((await sendBatch(sandbox(), batch.slice(0, 100))).status).toBe(200)
    }
    const uuids = await new SandboxClient(sandbox().url).uuids()
    expect(uuids.size).toBe(TOTAL)
    expect([...expected].every((uuid) => uuids.has(uuid))).toBe(true)
    expect(sandbox().stats()).toMatchObject({ received: TOTAL + 100, unique_uuids: TOTAL, duplicates: 100 })
  })
})
