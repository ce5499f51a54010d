import { randomUUID } from 'node:crypto'
import { PostHog } from 'posthog-node'
import { describe, expect, it } from 'vitest'
import { useSandbox } from './helpers.js'

const sandbox = useSandbox()

interface Sent {
  uuid: string
  timestamp: Date
  distinctId: string
}

function captureMany(client: PostHog, count: number): Sent[] {
  const sent: Sent[] = []
  for (let i = 0; i < count; i++) {
    const event = {
      uuid: randomUUID(),
      timestamp: new Date(Date.UTC(2023, 5, 1) + i * 60_000),
      distinctId: `u${i % 7}`,
    }
    client.capture({ ...event, event: i % 2 ? '$pageview' : 'signed_up', properties: { i } })
    sent.push(event)
  }
  return sent
}

describe('the real posthog-node client against the sandbox', () => {
  it('stores every event with its uuid, timestamp, historical flag and $lib', async () => {
    const client = new PostHog('phc_sandbox', {
      host: sandbox().url,
      historicalMigration: true,
      flushAt: 100,
    })
    const sent = captureMany(client, 250)
    client.capture({
      distinctId: 'u1',
      event: '$identify',
      uuid: randomUUID(),
      timestamp: new Date('2023-06-02T00:00:00Z'),
      properties: { $anon_distinct_id: 'anon-u1', $set: { email: 'u1@example.com' } },
    })
    await client.shutdown()

    const stats = sandbox().stats()
    expect(stats).toMatchObject({ received: 251, unique_uuids: 251, duplicates: 0, historical: 251 })
    expect(stats.rejected_requests).toEqual({})
    const stored = new Map(
      sandbox()
        .events()
        .map((e) => [e.uuid, e]),
    )
    for (const event of sent) {
      const row = stored.get(event.uuid)
      expect(row?.timestamp).toBe(event.timestamp.toISOString())
      expect(row?.distinct_id).toBe(event.distinctId)
      expect(row?.historical).toBe(true)
      expect(row?.properties.$lib).toBe('posthog-node')
    }
    expect(sandbox().persons({ distinct_id: 'u1' }).persons[0]).toEqual({
      distinct_id: 'u1',
      properties: { email: 'u1@example.com' },
      linked_distinct_ids: ['anon-u1'],
    })
  })

  it('retries a scripted 503 and a partial write; the partial write shows up as duplicates', async () => {
    sandbox().setFaults({ failNext: [{ status: 503 }], partialWriteRate: 1 })
    let attempts = 0
    const client = new PostHog('phc_sandbox', {
      host: sandbox().url,
      historicalMigration: true,
      flushAt: 50,
      fetchRetryDelay: 10,
      // Attempt 1: scripted 503. Attempt 2: partial write, then 503. Before attempt 3 the faults are healed.
      fetch: (url, options) => {
        if (++attempts === 3) sandbox().setFaults({})
        return fetch(url, options)
      },
    })
    const errors: unknown[] = []
    client.on('error', (error) => errors.push(error))
    const sent = captureMany(client, 50)
    await client.shutdown()

    const stats = sandbox().stats()
    expect(errors).toEqual([])
    expect(sandbox().uniqueUuids()).toEqual(new Set(sent.map((e) => e.uuid)))
    expect(stats.duplicates).toBeGreaterThan(0)
    expect(stats.received).toBe(50 + stats.duplicates)
    expect(stats.rejected_requests).toEqual({ 503: 2 })
    expect(attempts).toBe(3)
  })
})
