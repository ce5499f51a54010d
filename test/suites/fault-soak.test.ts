import { rm } from 'node:fs/promises'
import path from 'node:path'
import { startFakeAmplitude } from '@ph-import/connector-amplitude/testing'
import { type FakeEventRow, startFakeMixpanel } from '@ph-import/connector-mixpanel/testing'
import { deterministicUuid } from '@ph-import/core'
import { type Sandbox, startSandbox } from '@ph-import/sandbox'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { amplitudeArgs, expectAmplitudeMapped } from './helpers/amplitude.js'
import { type CliResult, cliEnv, commonFlags, runCli, summaryOf, tempDir } from './helpers/cli.js'
import { expectExactAccounting, expectExactDelivery, readReport } from './helpers/verify.js'

// PostHog at its worst: an events/s limit (429 + Retry-After), 5% 500/503, 2% partial writes then 503,
// 2% connections dropped unanswered, and 10-50 ms latency on every request.
const POSTHOG_FAULTS = {
  rateLimit: 2000,
  // A small bucket: any burst over the limit is refused, as a busy PostHog does.
  rateLimitBurst: 300,
  errorRate: 0.05,
  partialWriteRate: 0.02,
  dropRate: 0.02,
  latencyMs: 10,
  latencyJitterMs: 40,
}

let dir: string
let sandbox: Sandbox

beforeAll(async () => {
  dir = await tempDir('soak')
  sandbox = await startSandbox({ port: 0, dataDir: ':memory:', seed: 7 })
})
afterAll(async () => {
  await sandbox?.close()
  if (dir) await rm(dir, { recursive: true, force: true })
})

async function soak(name: string, args: string[], env: Record<string, string>): Promise<CliResult> {
  sandbox.reset()
  sandbox.setFaults(POSTHOG_FAULTS)
  // Above the sandbox's limit on purpose: the importer must slow down on 429s, not lose anything.
  const rate = ['--rate', '8000', '--batch-size', '50']
  const result = await runCli([...args, ...rate, ...commonFlags(path.join(dir, name), sandbox.url)], {
    cwd: dir,
    env: cliEnv(dir, env),
  })
  expect(result.code, result.stderr).toBe(0)
  const faults = sandbox.stats().faults
  for (const kind of ['rate_limited', 'errors', 'partial_writes', 'dropped'] as const)
    expect(faults[kind], kind).toBeGreaterThan(0)
  const retries = result.lines.filter((l) => l.type === 'retry')
  expect(retries.some((r) => r.type === 'retry' && r.stage === 'load')).toBe(true)
  return result
}

describe('fault soak: a faulty PostHog and faulty sources, zero lost, zero unaccounted', () => {
  it('Amplitude: 429s, a 504 that splits a day, truncated zips and corrupt gzip entries', async () => {
    const fake = await startFakeAmplitude({
      seed: 11,
      start: '2024-03-01T00:00:00Z',
      end: '2024-03-04T00:00:00Z',
      // Enough batches (~400) that each 2% fault shows up: with ~250, one run in 40 saw no dropped connection.
      events: 20_000,
      apiKey: 'soak-key',
      secretKey: 'soak-secret',
      rateLimit: { after: 1, count: 2, retryAfterSeconds: 1 },
      // Every window's first download is cut in half, its first two carry a corrupt gzip entry.
      truncateFirst: 1,
      corruptGzipFirst: 2,
      gatewayTimeout: (w) => w.hours === 24 && w.start === '20240302T00',
    })
    try {
      const result = await soak('amplitude', amplitudeArgs(fake.url, '2024-03-01', '2024-03-03'), {
        AMPLITUDE_API_KEY: 'soak-key',
        AMPLITUDE_SECRET_KEY: 'soak-secret',
      })
      const statuses = fake.requests().map((r) => r.status)
      expect(statuses).toContain(429)
      expect(statuses).toContain(504)
      expect(result.lines.some((l) => l.type === 'partition' && l.status === 'split')).toBe(true)
      expect(result.lines.filter((l) => l.type === 'retry' && l.stage === 'export').length).toBeGreaterThan(3)

      const rows = fake.exportable('20240301T00', '20240303T23')
      expectExactDelivery(
        rows.map((r) => r.uuid),
        sandbox.uniqueUuids(),
      )
      const report = await readReport(summaryOf(result).jobDir)
      expectExactAccounting(report)
      expect(report.events.loaded).toBe(rows.length)
      expect(report.events.deadLettered).toBe(0)
      for (const row of rows.filter((_, i) => i % 997 === 0)) {
        const [stored] = sandbox.events({ uuid: row.uuid })
        expectAmplitudeMapped(row, stored)
      }
      const stats = sandbox.stats()
      // Every resend is the same event under the same uuid: PostHog merges it.
      expect(stats.conflicting_uuids).toBe(0)
      console.log(
        `fault soak (amplitude): ${rows.length} events, ${stats.received} received, faults ${JSON.stringify(stats.faults)}, ` +
          `source requests ${statuses.length} (${statuses.filter((s) => s !== 200).length} failed)`,
      )
    } finally {
      await fake.close()
    }
  })

  it('Mixpanel: 503s, reset streams, bodies cut short, truncated gzip, re-downloads in another order, Engage 500s on user and group profiles', async () => {
    const fake = await startFakeMixpanel({
      seed: 13,
      // ~330 batches, so that each 2% fault shows up (with ~165, one run in 40 saw no dropped connection).
      projects: [
        {
          id: 1234,
          from: '2024-03-01',
          to: '2024-03-04',
          eventsPerDay: 4000,
          users: 300,
          groups: [{ key: 'company_id', dataGroupId: '1' }],
        },
      ],
    })
    try {
      fake.setFaults({
        serverErrors: 1,
        resets: 1,
        terminatedEarly: 1,
        truncatedGzip: 1,
        engageServerErrors: 2,
      })
      const project = fake.project()
      const result = await soak(
        'mixpanel',
        [
          'mixpanel',
          '--project-id',
          '1234',
          '--service-account-username',
          project.serviceAccount.username,
          '--base-url',
          fake.url,
          '--start',
          '2024-03-01',
          '--end',
          '2024-03-04',
          // User and group profiles too: Engage's 500s are retried like the export's.
          '--groups',
          'company_id=company',
          '--group-profiles',
          'company_id=1',
          '--window-days',
          '2',
        ],
        { MIXPANEL_SERVICE_ACCOUNT_SECRET: project.serviceAccount.secret },
      )
      // Every knob was spent: each one cost a failed download the importer had to redo.
      expect(fake.faults()).toMatchObject({
        serverErrors: 0,
        resets: 0,
        terminatedEarly: 0,
        truncatedGzip: 0,
        engageServerErrors: 0,
      })
      const exports = fake.requests().filter((r) => r.endpoint === 'export')
      expect(exports.length).toBeGreaterThanOrEqual(2 + 4)

      const identity = 'project:1234'
      const expected = new Set<string>()
      const uuidOf = (...parts: string[]) => deterministicUuid('mixpanel', identity, parts.join('\u0000'))
      for (const row of project.rows as FakeEventRow[]) {
        const p = row.properties
        expected.add(
          uuidOf(
            String(p.$insert_id ?? ''),
            row.event,
            String(p.$distinct_id_before_identity ?? p.distinct_id ?? ''),
            String(row.utcMs),
          ),
        )
        // Simplified ID Merge rows carrying both ids get one synthesized $identify per pair.
        if (typeof p.$user_id === 'string' && typeof p.$device_id === 'string')
          expected.add(uuidOf('identify', p.$user_id, p.$device_id.replace(/^\$device:/, '')))
      }
      for (const p of project.profiles)
        expected.add(uuidOf('profile', p.$distinct_id.replace(/^\$device:/, '')))
      for (const g of project.groups)
        for (const p of g.profiles) expected.add(uuidOf('group-profile', 'company', p.$distinct_id))
      expectExactDelivery(expected, sandbox.uniqueUuids())
      // Every event whose row names a company is in that company's group.
      const grouped = sandbox.events().filter((e) => e.properties.company_id !== undefined)
      expect(grouped.length).toBeGreaterThan(1000)
      for (const e of grouped)
        expect((e.properties.$groups as { company?: unknown }).company).toBeTypeOf('string')
      const report = await readReport(summaryOf(result).jobDir)
      expectExactAccounting(report)
      expect(report.events.deadLettered).toBe(0)
      const stats = sandbox.stats()
      // Every resend is the same event under the same uuid: PostHog merges it.
      expect(stats.conflicting_uuids).toBe(0)
      console.log(
        `fault soak (mixpanel): ${expected.size} events, ${stats.received} received, faults ${JSON.stringify(stats.faults)}, ` +
          `${exports.length} export requests`,
      )
    } finally {
      await fake.close()
    }
  })
})
