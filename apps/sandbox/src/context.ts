import type { FaultInjector } from './faults/injector.js'
import type { ResolvedSandboxOptions } from './options.js'
import type { EventStore } from './store/event-store.js'

/** What every route handler needs. */
export interface SandboxContext {
  options: ResolvedSandboxOptions
  apiKeys: ReadonlySet<string>
  store: EventStore
  faults: FaultInjector
}
