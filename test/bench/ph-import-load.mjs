// ph-import contender: stages `events` synthetic events, then times only the load stage into `host`.
// argv: host events stateDir ; prints {"sent":N,"ms":T,"maxRssMb":M,"stagedFiles":[...]}
import { readdirSync } from 'node:fs'
import path from 'node:path'
import { createPostHogDestination, runImport } from '@ph-import/core'
import { syntheticSource } from './synthetic-source.mjs'

const [host, eventsArg, stateDir, mode = 'load', rateArg] = process.argv.slice(2)
const events = Number(eventsArg)
const days = Math.max(1, Math.round(events / 100_000))
let releaseGate
const gate = new Promise((r) => {
  releaseGate = r
})
let loadStarted = 0
let loadCpuStart
let transformed = 0
const inner = createPostHogDestination({ host, apiKey: 'phc_bench' })
// Holds the first send until every partition is staged, so the clock measures loading alone.
const destination = {
  ...inner,
  name: inner.name,
  describe: () => inner.describe(),
  send: async (batch, opts) => {
    if (mode === 'load') await gate
    if (!loadStarted) {
      loadStarted = performance.now()
      loadCpuStart = process.cpuUsage()
    }
    return inner.send(batch, opts)
  },
  close: async () => inner.close?.(),
}
const started = performance.now()
const result = await runImport({
  source: syntheticSource,
  config: { events, days },
  destination,
  stateDir,
  fresh: true,
  rate: rateArg ? Number(rateArg) : 10_000_000,
  batchSize: 5000,
  concurrency: 2,
  onProgress: (e) => {
    if (e.type === 'partition' && e.stage === 'transform' && e.status === 'done' && ++transformed === days)
      releaseGate()
  },
})
const ended = performance.now()
const eventsDir = path.join(result.jobDir, 'events')
process.stdout.write(
  `${JSON.stringify({
    status: result.status,
    sent: result.report.events.loaded,
    ms: ended - (mode === 'load' ? loadStarted : started),
    totalMs: ended - started,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    // CPU the importer spent while loading (main thread and zlib's thread pool).
    loadCpuMs: loadCpuStart
      ? (process.cpuUsage(loadCpuStart).user + process.cpuUsage(loadCpuStart).system) / 1000
      : null,
    stagedFiles: readdirSync(eventsDir)
      .sort()
      .map((f) => path.join(eventsDir, f)),
  })}\n`,
)
