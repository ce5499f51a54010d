// The template connector (what `scaffoldConnector` writes) passes the whole suite against its fake.
import { runConformance } from '../src/index.js'
import source from '../template/src/index.js'
import { FAKE_ACME_API_KEY, type FakeAcme, startFakeAcme } from '../template/src/testing.js'

runConformance({
  source,
  fake: () => startFakeAcme({ days: 3 }),
  config: (url) => ({ apiKey: FAKE_ACME_API_KEY, baseUrl: url, start: '2024-01-01', end: '2024-01-03' }),
  expectedRecords: (_config, fake) => (fake as FakeAcme).events.length,
})
