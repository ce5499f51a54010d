import type { ActiveFaults, FaultConfig } from './options.js'
import type { EventFilter, PersonsView, SandboxStats, StoredEvent } from './types.js'

/** Typed access to a sandbox running in another process, over its query API. */
export class SandboxClient {
  readonly url: string

  constructor(url: string) {
    this.url = url.replace(/\/+$/, '')
  }

  stats(): Promise<SandboxStats> {
    return this.json('/_sandbox/stats')
  }

  /** Over HTTP the server pages by 1000 when no limit is given. */
  events(filter: EventFilter = {}): Promise<StoredEvent[]> {
    const params = new URLSearchParams()
    for (const [key, value] of Object.entries(filter)) if (value !== undefined) params.set(key, String(value))
    return this.json(`/_sandbox/events?${params}`)
  }

  async uuids(): Promise<Set<string>> {
    const text = await (await this.fetchOk('/_sandbox/uuids')).text()
    return new Set(text.split('\n').filter((line) => line !== ''))
  }

  persons(distinctId?: string): Promise<PersonsView> {
    const query = distinctId === undefined ? '' : `?distinct_id=${encodeURIComponent(distinctId)}`
    return this.json(`/_sandbox/persons${query}`)
  }

  faults(): Promise<ActiveFaults> {
    return this.json('/_sandbox/faults')
  }

  setFaults(faults: FaultConfig): Promise<ActiveFaults> {
    return this.json('/_sandbox/faults', { method: 'POST', body: JSON.stringify(faults) })
  }

  async reset(): Promise<void> {
    await this.fetchOk('/_sandbox/reset', { method: 'POST' })
  }

  private async json<T>(path: string, init?: RequestInit): Promise<T> {
    return (await (await this.fetchOk(path, init)).json()) as T
  }

  private async fetchOk(path: string, init?: RequestInit): Promise<Response> {
    const response = await fetch(`${this.url}${path}`, init)
    if (!response.ok) {
      throw new Error(
        `[sandbox] ${init?.method ?? 'GET'} ${path} answered ${response.status}: ${await response.text()}`,
      )
    }
    return response
  }
}
