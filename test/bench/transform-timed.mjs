// The timed half of transform-one.mjs: re-runs the transform stage over every partition of a job that is
// already exported, in a process of its own. argv: connector jobDir configJson
import { writeFileSync } from 'node:fs'
// The transform stage is internal to core; a benchmark inside the repo may reach for it.
import { SeenSet } from '../../packages/core/dist/runtime/seen-set.js'
import { JobPaths, loadOrder, readState } from '../../packages/core/dist/runtime/state.js'
import { TransformPool } from '../../packages/core/dist/runtime/transform-pool.js'
import { transformPartition } from '../../packages/core/dist/runtime/transform-stage.js'
import { sourcePackages, sources } from './transform-sources.mjs'

const [connector, jobDir, configJson] = process.argv.slice(2)
const source = sources[connector]
const paths = new JobPaths(jobDir)
const state = await readState(paths)
const seen = new SeenSet()
const controller = new AbortController()
let records = 0
let events = 0
// PROFILE=file.cpuprofile profiles the timed transform loop alone.
const session = process.env.PROFILE ? new (await import('node:inspector/promises')).Session() : undefined
if (session) {
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.start')
}
// BENCH_WORKERS=n transforms on n worker threads, committed in order as the producer does; 1 = this thread.
const partitions = loadOrder(state.partitions)
// Workers share each partition, so a single CSV file (one partition) uses them too.
const workers = Number(process.env.BENCH_WORKERS ?? 2)
const pool =
  workers > 1
    ? new TransformPool(
        {
          sourceModule: import.meta.resolve(sourcePackages[connector]),
          config: JSON.parse(configJson),
          mappingOverrides: {},
          identity: state.identity,
        },
        workers,
        seen,
      )
    : undefined
const cpuBefore = process.cpuUsage()
const started = performance.now()
const stageOptions = {
  source,
  identity: state.identity,
  config: source.config.parse(JSON.parse(configJson)),
  paths,
  seen,
  hooks: [],
  signal: controller.signal,
}
if (pool) {
  // As the producer does: the next partition is handed over while one transforms; commits in order.
  const inFlight = []
  for (const p of partitions) {
    const written = pool.transform(p, stageOptions)
    written.catch(() => {})
    inFlight.push({ p, written })
    while (inFlight.length >= 2) {
      const head = inFlight.shift()
      await head.written
      await pool.commit(head.p)
    }
  }
  for (const head of inFlight) {
    await head.written
    await pool.commit(head.p)
  }
} else {
  for (const p of partitions) await transformPartition(p, stageOptions)
}
for (const p of partitions) {
  records += p.transform.records
  events += p.transform.events
}
const ms = performance.now() - started
await pool?.close()
const cpu = process.cpuUsage(cpuBefore)
if (session) {
  const { profile } = await session.post('Profiler.stop')
  writeFileSync(process.env.PROFILE, JSON.stringify(profile))
}
const cpuMs = (cpu.user + cpu.system) / 1000
const maxRssMb = process.resourceUsage().maxRSS / 1024
process.stdout.write(`${JSON.stringify({ connector, workers, records, events, ms, cpuMs, maxRssMb })}\n`)
