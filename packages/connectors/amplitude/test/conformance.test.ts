import { type ConformanceFaults, runConformance } from '@ph-import/testkit'
import amplitudeSource from '../src/index.js'
import { type FakeAmplitude, startFakeAmplitude } from '../src/testing.js'
import { fakeConfig, NOW } from './harness.js'

const HOUR_MS = 3_600_000

/** `YYYYMMDDTHH` (Amplitude's inclusive hour) → epoch ms of its start. */
function hourStart(value: unknown): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})$/.exec(String(value))
  if (!m) throw new Error(`not an Amplitude hour: ${String(value)}`)
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]))
}

/**
 * The suite's fault knobs on top of the fake's own: 429s counted from the next request, revoked keys, and
 * the fake's per-window faults for 5xx and cut downloads (its counters restarted, so each window's next
 * request answers 503 and its next download is cut: the suite's "next requests", window by window).
 */
function faultsOf(fake: FakeAmplitude): ConformanceFaults {
  const { secretKey } = fake
  return {
    rateLimitNext: (count, retryAfterSeconds) =>
      fake.set({ rateLimit: { after: fake.requests().length, count, retryAfterSeconds } }),
    failAuth: (status = 401) => fake.set({ authFailureStatus: status, secretKey: `${secretKey}-revoked` }),
    serverErrorNext: (count) => {
      fake.reset()
      fake.set({ serverErrorsFirst: Math.min(count, 1) })
    },
    resetNext: (count) => fake.set({ resetFirst: Math.min(count, 1) }),
    clear: () =>
      fake.set({
        rateLimit: undefined,
        authFailureStatus: undefined,
        serverErrorsFirst: undefined,
        resetFirst: undefined,
        secretKey,
      }),
  }
}

/** Each check starts its own fake; the config needs that fake's keys. */
const fakes = new Map<string, FakeAmplitude>()

runConformance({
  source: amplitudeSource,
  fake: async () => {
    const fake = await startFakeAmplitude({
      seed: 5,
      start: '2024-03-01T00:00:00Z',
      end: '2024-03-03T00:00:00Z',
      events: 300,
      now: NOW,
      rowsPerPart: 20,
    })
    fakes.set(fake.url, fake)
    return { url: fake.url, close: () => fake.close(), faults: faultsOf(fake) }
  },
  // Small pages, so the resume check interrupts inside a day's download as well as between days.
  config: (url) => {
    const fake = fakes.get(url)
    if (!fake) throw new Error(`no fake at ${url}`)
    return { ...fakeConfig(fake), pageSize: 40 }
  },
  // The config's days, 1 to 3 March, hold every row the fake generated.
  expectedRecords: (_config, handle) => {
    const fake = fakes.get(handle?.url ?? '')
    if (!fake) throw new Error('no fake')
    return fake.exportable('20240301T00', '20240303T23').length
  },
  // Partitions name inclusive upload hours (Amplitude's start/end parameters).
  coverage: (partitions) =>
    partitions.map((p) => [hourStart(p.params.start), hourStart(p.params.end) + HOUR_MS] as const),
  invalidConfigs: [
    { apiKey: 'k', secretKey: 's', start: '2024-03-05', end: '2024-03-01' },
    { apiKey: 'k', secretKey: 's', start: 'yesterday' },
    { apiKey: 'k', secretKey: 's', start: '2024-03-01', region: 'apac' },
  ],
  // A day is ~4 pages: stop inside the first day, then inside the second with the first one loaded.
  interruptAfterPages: [2, 6],
  runOptions: { now: NOW },
})
