import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { startSandbox } from '../src/index.js'
import { makeEvents, sendBatch } from './helpers.js'

describe('durability', () => {
  const dirs: string[] = []
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
  })

  it('keeps events, duplicates and the request log across a restart on the same data dir', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sandbox-durable-'))
    dirs.push(dataDir)
    const events = makeEvents(300)
    const first = await startSandbox({ dataDir })
    await sendBatch(first, events)
    await sendBatch(first, events.slice(0, 20))
    const before = first.stats()
    await first.close()

    const second = await startSandbox({ dataDir })
    try {
      expect(second.stats()).toEqual(before)
      expect(before).toMatchObject({ received: 320, unique_uuids: 300, duplicates: 20, requests: 2 })
      expect(second.uniqueUuids()).toEqual(new Set(events.map((e) => e.uuid)))
      await sendBatch(second, makeEvents(5))
      expect(second.stats().received).toBe(325)
      expect(second.events({ offset: 320 })[0]?.seq).toBe(321)
    } finally {
      await second.close()
    }
  })
})
