import { existsSync } from 'node:fs'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { type FakeAmplitude, startFakeAmplitude } from '@ph-import/connector-amplitude/testing'
import { type FakeMixpanel, startFakeMixpanel } from '@ph-import/connector-mixpanel/testing'
import { type Sandbox, startSandbox } from '@ph-import/sandbox'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { amplitudeArgs } from './helpers/amplitude.js'
import { type CliResult, cliEnv, runCli, summaryOf, tempDir } from './helpers/cli.js'
import { findLeaks, leakForms } from './helpers/scan.js'
import { expectExactAccounting, expectExactDelivery, readReport } from './helpers/verify.js'

// Distinctive values: any of them (or their Basic-auth base64) anywhere on disk or screen is a leak.
const PH_KEY = 'phc_PROOFsecret7f3a9c1e5d'
const PH_WRONG_KEY = 'phc_PROOFwrong0b1c2d3e4f'
const AMP_KEY = 'ampPROOFkey5e1f0d2c9b'
const AMP_SECRET = 'ampPROOFsecret77aa19c3'
const AMP_WRONG_SECRET = 'ampPROOFwrong4410beef'
const MP_USER = 'proof-sa.1234.mp-service-account'
const MP_SECRET = 'mpPROOFsasecretc0ffee42'
const FORMS = leakForms(
  [PH_KEY, PH_WRONG_KEY, AMP_KEY, AMP_SECRET, AMP_WRONG_SECRET, MP_SECRET],
  [
    [AMP_KEY, AMP_SECRET],
    [AMP_KEY, AMP_WRONG_SECRET],
    [MP_USER, MP_SECRET],
  ],
)

let dir: string
let sandbox: Sandbox
let amplitude: FakeAmplitude
let mixpanel: FakeMixpanel

beforeAll(async () => {
  dir = await tempDir('secrets')
  sandbox = await startSandbox({ port: 0, dataDir: ':memory:', apiKeys: [PH_KEY] })
  amplitude = await startFakeAmplitude({
    seed: 3,
    start: '2024-03-01T00:00:00Z',
    end: '2024-03-03T00:00:00Z',
    events: 2000,
    apiKey: AMP_KEY,
    secretKey: AMP_SECRET,
    authFailureStatus: 401,
  })
  mixpanel = await startFakeMixpanel({
    seed: 5,
    projects: [
      {
        id: 1234,
        serviceAccount: { username: MP_USER, secret: MP_SECRET },
        from: '2024-03-01',
        to: '2024-03-02',
        eventsPerDay: 300,
        users: 40,
      },
    ],
  })
})
afterAll(async () => {
  await sandbox?.close()
  await amplitude?.close()
  await mixpanel?.close()
  if (dir) await rm(dir, { recursive: true, force: true })
})

/** Runs an import (and, for its job, `jobs show` and `rejects --output`) and returns every leak found. */
async function leaksOf(
  name: string,
  args: string[],
  secretEnv: Record<string, string>,
  key = PH_KEY,
  host = sandbox.url,
) {
  const stateDir = path.join(dir, name)
  await mkdir(stateDir, { recursive: true })
  const env = cliEnv(dir, { ...secretEnv, POSTHOG_PROJECT_API_KEY: key })
  // --debug: the most the CLI ever prints (debug logs, stack traces).
  const run = await runCli(
    [...args, '--debug', '--yes', '--json', '--state-dir', stateDir, '--posthog-host', host],
    {
      cwd: dir,
      env,
    },
  )
  const summary = summaryOf(run)
  const outputs: Record<string, string> = { [`${name} stdout`]: run.stdout, [`${name} stderr`]: run.stderr }
  for (const extra of [
    ['jobs', 'show', summary.jobId],
    ['rejects', summary.jobId, '--output', path.join(stateDir, 'rejects-export.jsonl')],
    ['jobs', '--json'],
  ]) {
    const r: CliResult = await runCli([...extra, '--state-dir', stateDir], { cwd: dir, env })
    outputs[`${name} ${extra.slice(0, 2).join(' ')} stdout`] = r.stdout
    outputs[`${name} ${extra.slice(0, 2).join(' ')} stderr`] = r.stderr
  }
  return { run, summary, leaks: await findLeaks(FORMS, outputs, [stateDir]) }
}

describe('secrets never leave memory: job directory, logs, stdout, stderr, --json, rejects, report', () => {
  it('the scan itself finds a planted Basic-auth header in a binary file (control)', async () => {
    const planted = path.join(dir, 'planted')
    await mkdir(planted, { recursive: true })
    const header = `Basic ${Buffer.from(`${AMP_KEY}:${AMP_SECRET}`).toString('base64')}`
    await writeFile(
      path.join(planted, 'blob.bin'),
      Buffer.concat([Buffer.from([0, 255, 1]), Buffer.from(header)]),
    )
    expect((await findLeaks(FORMS, {}, [planted])).length).toBeGreaterThan(0)
    // Staged exports are gzip: a secret inside one is found too.
    const gzipped = path.join(dir, 'planted-gz')
    await mkdir(gzipped, { recursive: true })
    await writeFile(path.join(gzipped, 'p.jsonl.gz'), gzipSync(`{"token":"${AMP_SECRET}"}\n`))
    expect(await findLeaks(FORMS, {}, [gzipped])).toEqual([
      `${path.join(gzipped, 'p.jsonl.gz')}: ${AMP_SECRET}`,
    ])
  })

  it('Amplitude (API key, secret key) and PostHog key, on success', async () => {
    sandbox.reset()
    const { run, summary, leaks } = await leaksOf(
      'amplitude-ok',
      amplitudeArgs(amplitude.url, '2024-03-01', '2024-03-02'),
      { AMPLITUDE_API_KEY: AMP_KEY, AMPLITUDE_SECRET_KEY: AMP_SECRET },
    )
    expect(run.code, run.stderr).toBe(0)
    expect(leaks).toEqual([])
    expectExactAccounting(await readReport(summary.jobDir))
    expectExactDelivery(
      amplitude.exportable('20240301T00', '20240302T23').map((r) => r.uuid),
      sandbox.uniqueUuids(),
    )
  })

  it('Mixpanel service account secret, on success', async () => {
    sandbox.reset()
    const args = ['mixpanel', '--project-id', '1234', '--service-account-username', MP_USER]
    const { run, summary, leaks } = await leaksOf(
      'mixpanel-ok',
      [...args, '--base-url', mixpanel.url, '--start', '2024-03-01', '--end', '2024-03-02'],
      { MIXPANEL_SERVICE_ACCOUNT_SECRET: MP_SECRET },
    )
    expect(run.code, run.stderr).toBe(0)
    expect(leaks).toEqual([])
    const report = await readReport(summary.jobDir)
    expectExactAccounting(report)
    expect(sandbox.stats().unique_uuids).toBe(report.events.loaded)
  })

  it('a 401 from the source (wrong Amplitude secret): clear failure, nothing leaked', async () => {
    const { run, summary, leaks } = await leaksOf(
      'amplitude-401',
      amplitudeArgs(amplitude.url, '2024-03-01', '2024-03-02'),
      { AMPLITUDE_API_KEY: AMP_KEY, AMPLITUDE_SECRET_KEY: AMP_WRONG_SECRET },
    )
    expect(run.code).toBe(1)
    expect(summary.status).toBe('failed')
    expect(run.stdout + run.stderr).toMatch(/401/)
    expect(leaks).toEqual([])
  })

  it('a key PostHog does not know, caught by the key check: clear failure, nothing written or leaked', async () => {
    const stateDir = path.join(dir, 'posthog-unknown-key')
    const run = await runCli(
      [
        ...amplitudeArgs(amplitude.url, '2024-03-01', '2024-03-02'),
        ...['--debug', '--yes', '--json', '--state-dir', stateDir, '--posthog-host', sandbox.url],
      ],
      {
        cwd: dir,
        env: cliEnv(dir, {
          AMPLITUDE_API_KEY: AMP_KEY,
          AMPLITUDE_SECRET_KEY: AMP_SECRET,
          POSTHOG_PROJECT_API_KEY: PH_WRONG_KEY,
        }),
      },
    )
    expect(run.code).toBe(1)
    expect(run.lines.at(-1)).toMatchObject({
      type: 'error',
      message: expect.stringMatching(/does not know this project API key \(\/flags answered HTTP 401/),
      hint: expect.stringMatching(/--posthog-host us or eu/),
    })
    expect(existsSync(path.join(stateDir, 'jobs'))).toBe(false)
    expect(await findLeaks(FORMS, { stdout: run.stdout, stderr: run.stderr }, [])).toEqual([])
  })

  it('a 401 from capture (key check off, capture enforcing known keys): clear failure, nothing leaked', async () => {
    const refusing = await startSandbox({
      port: 0,
      dataDir: ':memory:',
      apiKeys: [PH_KEY],
      unknownKeys: 'refuse',
    })
    try {
      const { run, summary, leaks } = await leaksOf(
        'posthog-401',
        [...amplitudeArgs(amplitude.url, '2024-03-01', '2024-03-02'), '--no-posthog-key-check'],
        { AMPLITUDE_API_KEY: AMP_KEY, AMPLITUDE_SECRET_KEY: AMP_SECRET },
        PH_WRONG_KEY,
        refusing.url,
      )
      expect(run.code).toBe(1)
      expect(summary.status).toBe('failed')
      expect(run.stdout + run.stderr).toMatch(/401.*project API key was refused/)
      expect(leaks).toEqual([])
    } finally {
      await refusing.close()
    }
  })
})
