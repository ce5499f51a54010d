export { SandboxClient } from './client.js'
export {
  type ActiveFaults,
  DEFAULT_API_KEY,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_EVENT_BYTES,
  DEFAULT_PERSONAL_API_KEY,
  FailNext,
  FaultConfig,
  SANDBOX_PROJECT_ID,
  SandboxOptions,
} from './options.js'
export { type Sandbox, startSandbox } from './server.js'
export type {
  EventFilter,
  FaultCounters,
  IdentityLink,
  PersonsView,
  SandboxPerson,
  SandboxStats,
  StoredEvent,
} from './types.js'
