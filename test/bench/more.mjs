// Memory flatness, pacing and end-to-end sections of the benchmark.
import { spawn } from 'node:child_process'
import path from 'node:path'
import { startFakeAmplitude } from '@ph-import/connector-amplitude/testing'
import { startFakeMixpanel } from '@ph-import/connector-mixpanel/testing'
import { startSandbox } from '@ph-import/sandbox'
import { benchTempDir, fmt, here, runNode, startServer } from './lib.mjs'

const temp = benchTempDir

/**
 * Peak RSS of a whole ph-import job (export + transform + load) at growing sizes: flat means the peak
 * stops growing once the run is long enough to reach its steady state.
 */
export async function benchMemory(...sizes) {
  const sink = await startServer('sink.mjs')
  const rows = []
  try {
    for (const events of sizes) {
      const r = await runNode('ph-import-load.mjs', [sink.url, events, temp('ph-mem-'), 'full'])
      rows.push({
        events: fmt(events),
        'wall s': fmt(r.totalMs / 1000, 1),
        'events/s': fmt((r.sent / r.totalMs) * 1000),
        'peak RSS MB': fmt(r.maxRssMb),
        // Sampled every 50 ms: what the peak is made of (JS heap, and Buffers outside it).
        'peak heap MB': fmt(r.peakMb.heapUsed),
        'peak Buffers MB': fmt(r.peakMb.arrayBuffers),
        raw: r,
      })
    }
  } finally {
    sink.stop()
  }
  const base = rows[0].raw.maxRssMb
  for (const [i, row] of rows.entries()) {
    const previous = rows[i - 1]?.raw.maxRssMb
    row[`vs ${rows[0].events}`] = i === 0 ? '' : `${fmt(((row.raw.maxRssMb - base) / base) * 100, 1)}%`
    row['vs previous'] = previous ? `${fmt(((row.raw.maxRssMb - previous) / previous) * 100, 1)}%` : ''
  }
  return rows
}

/** `--rate R` against a sandbox that answers 429 above R events/s: share of the rate achieved, 429s seen. */
export async function benchPacing(rate, seconds) {
  const sandbox = await startSandbox({
    port: 0,
    dataDir: ':memory:',
    apiKeys: ['phc_bench'],
    faults: { rateLimit: rate },
  })
  try {
    const events = rate * seconds
    const r = await runNode('ph-import-load.mjs', [sandbox.url, events, temp('ph-pace-'), 'gated', rate])
    const stats = sandbox.stats()
    const achieved = (r.sent / r.ms) * 1000
    return [
      {
        'target/s': fmt(rate),
        events: fmt(events),
        'achieved/s': fmt(achieved),
        share: `${fmt((achieved / rate) * 100, 1)}%`,
        '429s': JSON.stringify(stats.rejected_requests ?? stats.rejectedRequests ?? {}),
        unique: fmt(stats.unique_uuids ?? stats.uniqueUuids),
        raw: { ...r, stats },
      },
    ]
  } finally {
    await sandbox.close()
  }
}

function runCli(args) {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(process.execPath, [path.join(here, '../../packages/cli/bin/run.js'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let err = ''
    child.stderr.on('data', (d) => {
      err += d
    })
    child.stdout.resume()
    child.on('exit', (code) =>
      code === 0
        ? resolve(performance.now() - started)
        : reject(new Error(`ph-import exited ${code}: ${err.slice(-400)}`)),
    )
  })
}

/** Fake Amplitude / Mixpanel → `ph-import` CLI → sandbox, unthrottled: wall time and events/s. */
export async function benchEndToEnd(events) {
  const rows = []
  const sandbox = await startSandbox({ port: 0, dataDir: ':memory:', apiKeys: ['phc_bench'] })
  const common = [
    '--posthog-host',
    sandbox.url,
    '--posthog-key',
    'phc_bench',
    '--rate',
    '1000000',
    '--yes',
    '--json',
  ]
  try {
    const days = Math.max(1, Math.ceil(events / 50_000))
    const end = new Date(Date.UTC(2024, 2, 1 + days))
    const amp = await startFakeAmplitude({
      start: '2024-03-01T00:00:00Z',
      end: end.toISOString(),
      events,
      now: new Date(Date.UTC(2024, 5, 1)),
    })
    const ampMs = await runCli([
      'amplitude',
      '--api-key',
      amp.apiKey,
      '--secret-key',
      amp.secretKey,
      '--base-url',
      amp.url,
      '--start',
      '2024-03-01',
      '--end',
      end.toISOString().slice(0, 10),
      '--state-dir',
      temp('ph-e2e-'),
      ...common,
    ])
    await amp.close()
    const ampStats = sandbox.stats()
    rows.push({
      source: 'amplitude',
      'events loaded': fmt(ampStats.unique_uuids),
      'wall s': fmt(ampMs / 1000, 1),
      'events/s': fmt((ampStats.unique_uuids / ampMs) * 1000),
    })
    sandbox.reset()
    const mp = await startFakeMixpanel({
      now: Date.UTC(2024, 5, 1),
      projects: [
        {
          id: 1234,
          from: '2024-03-01',
          to: '2024-03-10',
          eventsPerDay: Math.ceil(events / 10),
          duplicateRate: 0,
        },
      ],
    })
    const sa = mp.project().serviceAccount
    const mpMs = await runCli([
      'mixpanel',
      '--project-id',
      '1234',
      '--service-account-username',
      sa.username,
      '--service-account-secret',
      sa.secret,
      '--base-url',
      mp.url,
      '--start',
      '2024-03-01',
      '--end',
      '2024-03-10',
      ...common,
      '--state-dir',
      temp('ph-e2e-'),
    ])
    await mp.close()
    const mpStats = sandbox.stats()
    rows.push({
      source: 'mixpanel',
      'events loaded': fmt(mpStats.unique_uuids),
      'wall s': fmt(mpMs / 1000, 1),
      'events/s': fmt((mpStats.unique_uuids / mpMs) * 1000),
    })
  } finally {
    await sandbox.close()
  }
  return rows
}

/** Transform stage alone, per connector (source data already staged on disk). */
export async function benchTransform(events) {
  const rows = []
  for (const connector of ['csv', 'jsonl', 'amplitude', 'mixpanel']) {
    const { runs } = await runNode('transform-one.mjs', [connector, events])
    const [serial] = runs
    for (const r of runs) {
      rows.push({
        connector,
        workers: r.workers === 1 ? 'none' : String(r.workers),
        records: fmt(r.records),
        events: fmt(r.events),
        'records/s': fmt((r.records / r.ms) * 1000),
        'per round': r.rounds.map((ms) => fmt((r.records / ms) * 1000)).join(' / '),
        'CPU µs/record': fmt((r.cpuMs * 1000) / r.records, 1),
        'vs serial': `${fmt(serial.ms / r.ms, 2)}x`,
        'peak RSS MB': fmt(r.maxRssMb),
        raw: r,
      })
    }
  }
  return rows
}
