// Peak disk of a job directory during an Amplitude import into the sandbox, with and without the bound.
// [RATE=events/s] node test/bench/disk.mjs <label> [extra CLI flags...]   (repository root, after npm run build)
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { startFakeAmplitude } from '@ph-import/connector-amplitude/testing'
import { startSandbox } from '@ph-import/sandbox'

const [label, ...extra] = process.argv.slice(2)
const dir = mkdtempSync(path.join(tmpdir(), 'disk-'))
const sandbox = await startSandbox({ port: 0, dataDir: ':memory:' })
const fake = await startFakeAmplitude({
  seed: 5,
  start: '2024-01-01T00:00:00Z',
  end: '2024-01-21T00:00:00Z',
  events: 300_000,
  now: new Date('2024-06-01T00:00:00Z'),
})
const state = path.join(dir, 'state')
const du = () => {
  try {
    return Number(execFileSync('du', ['-sb', state]).toString().split('\t')[0])
  } catch {
    return 0
  }
}
let peak = 0
const timer = setInterval(() => {
  peak = Math.max(peak, du())
}, 250)
const started = Date.now()
const child = spawn(
  process.execPath,
  [
    'packages/cli/bin/run.js',
    'amplitude',
    '--base-url',
    fake.url,
    '--start',
    '2024-01-01',
    '--end',
    '2024-01-20',
    '--state-dir',
    state,
    '--yes',
    '--rate',
    process.env.RATE ?? '20000',
    '--batch-size',
    '1000',
    ...extra,
  ],
  {
    env: {
      ...process.env,
      POSTHOG_HOST: sandbox.url,
      POSTHOG_PROJECT_API_KEY: 'phc_sandbox',
      AMPLITUDE_API_KEY: fake.apiKey,
      AMPLITUDE_SECRET_KEY: fake.secretKey,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  },
)
let out = ''
child.stdout.on('data', (c) => {
  out += c
})
const code = await new Promise((r) => child.on('exit', r))
clearInterval(timer)
peak = Math.max(peak, du())
const end = du()
const loaded = /events\s+([\d,]+) loaded/.exec(out)?.[1]
console.log(
  `${label}: exit ${code}, ${loaded} loaded in ${((Date.now() - started) / 1000).toFixed(1)} s, peak job dir ${(peak / 1e6).toFixed(1)} MB, at the end ${(end / 1e6).toFixed(1)} MB, sandbox ${sandbox.stats().unique_uuids} unique`,
)
await fake.close()
await sandbox.close()
rmSync(dir, { recursive: true, force: true })
