import type { Destination, PostHogEvent } from '@ph-import/core'
import * as core from '@ph-import/core'
import { describe, expect, it } from 'vitest'
import { startFakeMixpanel } from '../src/testing.js'
import { expectedUuid, importInto, serviceAccountConfig } from './helpers.js'

/** The parts of the sandbox this test uses (apps/sandbox, written concurrently). */
interface Sandbox {
  url: string
  events(filter?: Record<string, unknown>): Promise<StoredEvent[]> | StoredEvent[]
  close(): Promise<void>
}
type StoredEvent = PostHogEvent & { properties: Record<string, unknown> }

const sandboxSpecifier = '@ph-import/sandbox'
const sandbox = (await import(sandboxSpecifier).catch(() => undefined)) as
  | { startSandbox(o: { port: number; dataDir: string }): Promise<Sandbox> }
  | undefined
const createPostHogDestination = (core as Record<string, unknown>).createPostHogDestination as
  | ((o: { host: string; apiKey: string }) => Destination)
  | undefined

describe.skipIf(!sandbox || !createPostHogDestination)(
  'end to end: fake Mixpanel → ph-import → PostHog sandbox',
  () => {
    it('loads profiles before events, every event once, mapped fields exact', async () => {
      const fake = await startFakeMixpanel({ seed: 9 })
      const ph = await (sandbox as NonNullable<typeof sandbox>).startSandbox({ port: 0, dataDir: ':memory:' })
      try {
        const destination = (createPostHogDestination as NonNullable<typeof createPostHogDestination>)({
          host: ph.url,
          apiKey: 'phc_sandbox',
        })
        const { result } = await importInto(serviceAccountConfig(fake), { destination })
        expect(result.status).toBe('done')
        const stored = await ph.events()
        const profiles = fake.project().profiles.length
        expect(stored.slice(0, profiles).every((e) => e.event === '$set')).toBe(true)
        const imported = stored.filter((e) => e.event !== '$set' && e.properties.mp_lib !== undefined)
        expect(imported.length).toBe(new Set(imported.map((e) => e.uuid)).size)
        const rows = new Map(fake.project().rows.map((r) => [expectedUuid(r), r]))
        expect(new Set(imported.map((e) => e.uuid))).toEqual(new Set(rows.keys()))
        const view = imported.find((e) => e.event === '$pageview')
        const row = view ? rows.get(view.uuid) : undefined
        expect(row).toBeDefined()
        expect(view?.timestamp).toBe(new Date(row?.utcMs ?? 0).toISOString())
        expect(view?.properties.$pathname).toBe(row?.properties.current_url_path)
        expect(view?.properties.$geoip_city_name).toBe(row?.properties.$city)
        expect(view?.properties.$insert_id).toBeUndefined()
      } finally {
        await ph.close()
        await fake.close()
      }
    })
  },
)
