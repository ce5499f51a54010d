// Load throughput: ph-import vs the careful and the naive posthog-node scripts, same staged events, same sink.
// ph-import and the careful script alternate for `rounds` rounds (the table shows each one's median, so one
// noisy round on a shared 2-core machine does not decide the ratio); the naive script, which loses most
// events and takes minutes, runs once.
import { cpSync } from 'node:fs'
import { benchTempDir, fmt, getJson, runNode, startServer } from './lib.mjs'

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

export async function benchLoad(events, rounds = 1) {
  const sink = await startServer('sink.mjs')
  const runs = { 'ph-import': [], 'posthog-node careful': [], 'posthog-node naive': [] }
  try {
    // Staged by one process, loaded by the next: the loader's peak RSS is its own, not the staging's.
    const stagedDir = benchTempDir('ph-bench-')
    const staged = await runNode('ph-import-load.mjs', [sink.url, events, stagedDir, 'stage'])
    if (staged.status !== 'interrupted') throw new Error(`staging ended ${staged.status}`)
    const contender = async (name, script, args) => {
      await fetch(`${sink.url}/reset`, { method: 'POST' })
      const r = await runNode(script, args)
      const s = await getJson(`${sink.url}/stats`)
      runs[name].push({ events, ms: r.ms, delivered: s.unique, maxRssMb: r.maxRssMb, sinkCpuMs: s.cpuMs })
    }
    for (let round = 0; round < rounds; round++) {
      // Each round loads a fresh copy of the staged job (a loaded job has nothing left to send).
      const stateDir = benchTempDir('ph-bench-')
      cpSync(stagedDir, stateDir, { recursive: true })
      await contender('ph-import', 'ph-import-load.mjs', [sink.url, events, stateDir, 'load'])
      await contender('posthog-node careful', 'posthog-node-client.mjs', [
        'careful',
        sink.url,
        ...staged.stagedFiles,
      ])
    }
    await contender('posthog-node naive', 'posthog-node-client.mjs', [
      'naive',
      sink.url,
      ...staged.stagedFiles,
    ])
  } finally {
    sink.stop()
  }
  const perSecond = (r) => (r.delivered / r.ms) * 1000
  const carefulRate = median(runs['posthog-node careful'].map(perSecond))
  return Object.entries(runs).map(([name, list]) => {
    const rates = list.map(perSecond)
    const rate = median(rates)
    return {
      contender: name,
      events: fmt(events),
      rounds: list.length,
      'events/s': fmt(rate),
      'per round': rates.map((r) => fmt(r)).join(' / '),
      delivered: `${fmt((median(list.map((r) => r.delivered)) / events) * 100, 1)}%`,
      'peak RSS MB': fmt(Math.max(...list.map((r) => r.maxRssMb))),
      'vs careful': `${fmt(rate / carefulRate, 1)}x`,
      raw: list,
    }
  })
}
