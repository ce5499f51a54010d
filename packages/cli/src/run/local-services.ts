import { ConfigError } from '@ph-import/core'

/** The sandbox's stats, as far as the CLI prints them (see apps/sandbox). */
export interface SandboxTotals {
  received: number
  unique_uuids: number
  duplicates: number
  distinct_ids: number
  events_by_name: Record<string, number>
}

interface Closable {
  url: string
  close(): Promise<void>
}
interface Sandbox extends Closable {
  stats(): SandboxTotals | Promise<SandboxTotals>
}

export interface LocalServices {
  sandbox: Sandbox
  sandboxKey: string
  amplitude: Closable & { apiKey: string; secretKey: string; start: string; end: string }
  mixpanel: Closable & {
    apiSecret: string
    start: string
    end: string
    /** The fake project's Group Analytics key, as `--groups` and `--group-profiles` take it. */
    groups: Record<string, string>
    groupProfiles: Record<string, string>
  }
  close(): Promise<void>
}

export interface ServicePorts {
  sandbox: number
  amplitude: number
  mixpanel: number
  dataDir: string
}

async function load<T>(specifier: string, name: string): Promise<T> {
  let mod: Record<string, unknown>
  try {
    mod = (await import(specifier)) as Record<string, unknown>
  } catch (error) {
    throw new ConfigError(`cannot load ${specifier}: ${(error as Error).message}`, {
      hint: 'run `npm run build` first',
    })
  }
  if (typeof mod[name] !== 'function') throw new ConfigError(`${specifier} has no ${name}() (not built yet?)`)
  return mod[name] as T
}

// The fakes serve fixed, seeded data sets; the import commands below cover them exactly.
const AMPLITUDE_DATA = { start: '2024-01-01T00:00:00Z', end: '2024-01-08T00:00:00Z' }
const MIXPANEL_DAYS = { start: '2024-03-01', end: '2024-03-14' }

/** Starts the PostHog sandbox and the fake Amplitude and Mixpanel APIs on 127.0.0.1. */
export async function startLocalServices(ports: ServicePorts): Promise<LocalServices> {
  const startSandbox = await load<(o: { port: number; dataDir: string }) => Promise<Sandbox>>(
    '@ph-import/sandbox',
    'startSandbox',
  )
  const startFakeAmplitude = await load<
    (o: {
      port: number
      seed: number
      start: string
      end: string
      events: number
    }) => Promise<Closable & { apiKey: string; secretKey: string }>
  >('@ph-import/connector-amplitude/testing', 'startFakeAmplitude')
  const startFakeMixpanel = await load<
    (o: {
      port: number
      seed: number
      projects: Array<{ groups: Array<{ key: string; dataGroupId: string }> }>
    }) => Promise<Closable & { project(): { apiSecret: string } }>
  >('@ph-import/connector-mixpanel/testing', 'startFakeMixpanel')
  const started: Closable[] = []
  try {
    const sandbox = await startSandbox({ port: ports.sandbox, dataDir: ports.dataDir })
    started.push(sandbox)
    const amplitude = await startFakeAmplitude({
      port: ports.amplitude,
      seed: 1,
      events: 1500,
      ...AMPLITUDE_DATA,
    })
    started.push(amplitude)
    const mixpanel = await startFakeMixpanel({
      port: ports.mixpanel,
      seed: 42,
      projects: [{ groups: [{ key: 'company_id', dataGroupId: '1' }] }],
    })
    started.push(mixpanel)
    return {
      sandbox,
      sandboxKey: 'phc_sandbox',
      amplitude: {
        url: amplitude.url,
        apiKey: amplitude.apiKey,
        secretKey: amplitude.secretKey,
        start: '2024-01-01',
        end: '2024-01-07',
        close: () => amplitude.close(),
      },
      mixpanel: {
        url: mixpanel.url,
        apiSecret: mixpanel.project().apiSecret,
        ...MIXPANEL_DAYS,
        groups: { company_id: 'company' },
        groupProfiles: { company_id: '1' },
        close: () => mixpanel.close(),
      },
      close: async () => {
        await Promise.allSettled(started.map((s) => s.close()))
      },
    }
  } catch (error) {
    await Promise.allSettled(started.map((s) => s.close()))
    throw error
  }
}
