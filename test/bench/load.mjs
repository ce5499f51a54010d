// Load throughput: ph-import vs the careful and the naive posthog-node scripts, same staged events, same sink.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fmt, getJson, runNode, startServer } from './lib.mjs'

export async function benchLoad(events) {
  const sink = await startServer('sink.mjs')
  const stateDir = mkdtempSync(path.join(tmpdir(), 'ph-bench-'))
  const rows = []
  try {
    // Staged by one process, loaded by the next: the loader's peak RSS is its own, not the staging's.
    const staged = await runNode('ph-import-load.mjs', [sink.url, events, stateDir, 'stage'])
    if (staged.status !== 'interrupted') throw new Error(`staging ended ${staged.status}`)
    const ours = await runNode('ph-import-load.mjs', [sink.url, events, stateDir, 'load'])
    const oursStats = await getJson(`${sink.url}/stats`)
    rows.push({
      contender: 'ph-import',
      events,
      ms: ours.ms,
      delivered: oursStats.unique,
      maxRssMb: ours.maxRssMb,
    })
    for (const mode of ['careful', 'naive']) {
      await fetch(`${sink.url}/reset`, { method: 'POST' })
      const r = await runNode('posthog-node-client.mjs', [mode, sink.url, ...ours.stagedFiles])
      const s = await getJson(`${sink.url}/stats`)
      rows.push({
        contender: `posthog-node ${mode}`,
        events,
        ms: r.ms,
        delivered: s.unique,
        maxRssMb: r.maxRssMb,
      })
    }
  } finally {
    sink.stop()
  }
  const careful = rows.find((r) => r.contender === 'posthog-node careful')
  return rows.map((r) => ({
    contender: r.contender,
    events: fmt(r.events),
    'events/s': fmt((r.delivered / r.ms) * 1000),
    delivered: `${fmt((r.delivered / r.events) * 100, 1)}%`,
    'peak RSS MB': fmt(r.maxRssMb),
    'vs careful': careful ? `${fmt(r.delivered / r.ms / (careful.delivered / careful.ms), 1)}x` : '',
    raw: r,
  }))
}
