import { runConformance } from '@ph-import/testkit'
import source from '../src/index.js'
import { FAKE_ACME_API_KEY, type FakeAcme, startFakeAcme } from '../src/testing.js'

runConformance({
  source,
  fake: () => startFakeAcme({ days: 3 }),
  config: (url) => ({ apiKey: FAKE_ACME_API_KEY, baseUrl: url, start: '2024-01-01', end: '2024-01-03' }),
  // The range is the fake's three days, so a complete export reads every event it holds.
  expectedRecords: (_config, fake) => (fake as FakeAcme).events.length,
})
