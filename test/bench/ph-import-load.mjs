// ph-import contender: synthetic events through runImport into `host`.
// argv: host events stateDir mode [rate]
//   stage  export + transform only, in this process; stops before the first send (the job stays resumable)
//   load   resumes a job staged by `stage` in an earlier process: this process only loads (its RSS is the
//          loader's alone); the clock starts at the first send
//   gated  stages and loads in one process, the clock starting at the first send (pacing)
//   full   the whole job, timed from the start (memory flatness)
// Prints one JSON line: {"status","sent","ms","totalMs","maxRssMb","loadCpuMs","stagedFiles"}.
import { readdirSync } from 'node:fs'
import path from 'node:path'
import { createPostHogDestination, runImport } from '@ph-import/core'
import { syntheticSource } from './synthetic-source.mjs'

const [host, eventsArg, stateDir, mode, rateArg] = process.argv.slice(2)
if (!['stage', 'load', 'gated', 'full'].includes(mode)) throw new Error(`unknown mode ${mode}`)
const events = Number(eventsArg)
const days = Math.max(1, Math.round(events / 100_000))
let releaseGate
const gate = new Promise((r) => {
  releaseGate = r
})
const stop = new AbortController()
let loadStarted = 0
let loadCpuStart
let transformed = 0
const inner = createPostHogDestination({
  host,
  apiKey: 'phc_bench',
  ...(process.env.BENCH_GZIP === '0' ? { gzip: false } : {}),
})

// PROFILE=file.cpuprofile profiles the load stage alone (from the first send to the end).
const session = process.env.PROFILE ? new (await import('node:inspector/promises')).Session() : undefined
if (session) {
  session.connect()
  await session.post('Profiler.enable')
}

const destination = {
  ...inner,
  name: inner.name,
  describe: () => inner.describe(),
  send: async (batch, opts) => {
    // `stage` never sends: the first batch waits until the stop below, then reports the stop.
    if (mode === 'stage') {
      await gate
      throw stop.signal.reason
    }
    // `gated` holds the first send until every partition is staged, so the clock measures loading alone.
    if (mode === 'gated') await gate
    if (!loadStarted) {
      loadStarted = performance.now()
      loadCpuStart = process.cpuUsage()
      await session?.post('Profiler.start')
    }
    return inner.send(batch, opts)
  },
  close: async () => inner.close?.(),
}

// Peaks of the parts of memory, sampled: what peak RSS is made of.
const peaks = { heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0 }
const sampler = setInterval(() => {
  const m = process.memoryUsage()
  for (const k of Object.keys(peaks)) peaks[k] = Math.max(peaks[k], m[k] / 1048576)
}, 50)
const started = performance.now()
const result = await runImport({
  source: syntheticSource,
  config: { events, days },
  destination,
  stateDir,
  fresh: mode !== 'load',
  rate: rateArg ? Number(rateArg) : 10_000_000,
  batchSize: Number(process.env.BENCH_BATCH ?? 5000),
  concurrency: Number(process.env.BENCH_CONCURRENCY ?? 2),
  signal: stop.signal,
  onProgress: (e) => {
    if (e.type === 'partition' && e.stage === 'transform' && e.status === 'done' && ++transformed === days) {
      if (mode === 'stage') stop.abort(new Error('staged'))
      releaseGate()
    }
  },
})
const ended = performance.now()
clearInterval(sampler)
if (session && loadStarted) {
  const { profile } = await session.post('Profiler.stop')
  ;(await import('node:fs')).writeFileSync(process.env.PROFILE, JSON.stringify(profile))
}
const eventsDir = path.join(result.jobDir, 'events')
const cpu = loadCpuStart ? process.cpuUsage(loadCpuStart) : undefined
process.stdout.write(
  `${JSON.stringify({
    status: result.status,
    sent: result.report.events.loaded,
    ms: ended - (mode === 'load' || mode === 'gated' ? loadStarted : started),
    totalMs: ended - started,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    peakMb: Object.fromEntries(Object.entries(peaks).map(([k, v]) => [k, Math.round(v)])),
    // CPU the importer spent while loading (main thread and zlib's thread pool).
    loadCpuMs: cpu ? (cpu.user + cpu.system) / 1000 : null,
    stagedFiles: readdirSync(eventsDir)
      .sort()
      .map((f) => path.join(eventsDir, f)),
  })}\n`,
)
