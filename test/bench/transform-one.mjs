// Transform throughput of one connector: source data already staged on disk → staged PostHog events.
// Stages a job once (export), then times the transform stage alone over every partition.
// argv: connector events ; prints {"connector","events","ms","records"}
import path from 'node:path'
import { createFileDestination, runImport } from '@ph-import/core'
// The transform stage is internal to core; a benchmark inside the repo may reach for it.
import { SeenSet } from '../../packages/core/dist/runtime/seen-set.js'
import { JobPaths, loadOrder, readState } from '../../packages/core/dist/runtime/state.js'
import { transformPartition } from '../../packages/core/dist/runtime/transform-stage.js'
import { benchTempDir } from './lib.mjs'
import { prepare } from './transform-sources.mjs'

const [connector, eventsArg] = process.argv.slice(2)
const events = Number(eventsArg)
const dir = benchTempDir(`ph-bench-${connector}-`)
const { source, config, close } = await prepare(connector, events, dir)
const staged = await runImport({
  source,
  config,
  destination: createFileDestination({ path: path.join(dir, 'out.jsonl') }),
  stateDir: dir,
  rate: 1e9,
  batchSize: 5000,
})
await close()
const paths = new JobPaths(staged.jobDir)
const state = await readState(paths)
const seen = new SeenSet()
const controller = new AbortController()
let records = 0
let out = 0
// PROFILE=file.cpuprofile profiles the timed transform loop alone (not the staging run or the fake API).
const session = process.env.PROFILE ? new (await import('node:inspector/promises')).Session() : undefined
if (session) {
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.start')
}
const started = performance.now()
for (const p of loadOrder(state.partitions)) {
  await transformPartition(p, {
    source,
    identity: state.identity,
    config: source.config.parse(config),
    paths,
    seen,
    hooks: [],
    signal: controller.signal,
  })
  records += p.transform.records
  out += p.transform.events
}
const ms = performance.now() - started
if (session) {
  const { profile } = await session.post('Profiler.stop')
  ;(await import('node:fs')).writeFileSync(process.env.PROFILE, JSON.stringify(profile))
}
process.stdout.write(
  `${JSON.stringify({ connector, records, events: out, ms, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`,
)
