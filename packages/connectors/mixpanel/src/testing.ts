/** Test helpers for connector authors and the sandbox: a local fake of Mixpanel's APIs. */
export type { FakeDataOptions, FakeEventRow, FakeProfile } from './fake-data.js'
export type { FakeGroupKey } from './fake-groups.js'
export type { FakeLimitOptions } from './fake-limits.js'
export type { FakePlan, FakeProject, FakeProjectOptions } from './fake-projects.js'
export {
  type FakeFaults,
  type FakeMixpanel,
  type FakeMixpanelOptions,
  type FakeRequestLog,
  startFakeMixpanel,
} from './fake-server.js'
