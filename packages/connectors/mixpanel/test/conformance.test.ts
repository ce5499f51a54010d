import { runConformance } from '@ph-import/testkit'
import mixpanelSource from '../src/index.js'
import { type FakeMixpanel, startFakeMixpanel } from '../src/testing.js'
import { startFaultProxy } from './fault-proxy.js'
import { serviceAccountConfig } from './helpers.js'

const DAY_MS = 86_400_000

/** Each check starts its own fake (behind a fault proxy); the config needs that fake's credentials. */
const fakes = new Map<string, FakeMixpanel>()

runConformance({
  source: mixpanelSource,
  fake: async () => {
    const fake = await startFakeMixpanel({ seed: 3, projects: [{ from: '2024-03-01', to: '2024-03-09' }] })
    const proxy = await startFaultProxy(fake.url)
    fakes.set(proxy.url, fake)
    return {
      url: proxy.url,
      faults: proxy.faults,
      close: async () => {
        await proxy.close()
        await fake.close()
      },
    }
  },
  config: (url) => {
    const fake = fakes.get(url)
    if (!fake) throw new Error(`no fake behind ${url}`)
    return { ...serviceAccountConfig(fake), baseUrl: url, end: '2024-03-09', windowDays: 3 }
  },
  // The config covers the project's days: every row (the ones Mixpanel repeats too) and every profile.
  expectedRecords: (_config, handle) => {
    const project = fakes.get(handle?.url ?? '')?.project()
    if (!project) throw new Error('no fake')
    return project.rows.length + project.profiles.length
  },
  // Mixpanel's from_date and to_date are both inclusive days (UTC here): a window ends at the next midnight.
  coverage: (partitions) =>
    partitions
      .filter((p) => p.kind === 'events')
      .map((p) => [Date.parse(String(p.params.from)), Date.parse(String(p.params.to)) + DAY_MS] as const),
  invalidConfigs: [
    { apiSecret: 's', start: '2024-03-05', end: '2024-03-01' },
    { serviceAccountUsername: 'sa', serviceAccountSecret: 'x', start: '2024-03-01' },
    { apiSecret: 's', start: '2024-03-01', timezone: 'Mars/Olympus' },
  ],
})
