// Transform throughput of one connector: source data already staged on disk → staged PostHog events.
// This process stages a job once (export, with the fake API in-process), then a fresh process times the
// transform stage alone over every partition, so the fakes' heap never weighs on its garbage collector.
// argv: connector events ; prints {"connector","runs":[{"workers","records","events","ms","cpuMs","maxRssMb"}]}
import { execFileSync } from 'node:child_process'
import path from 'node:path'
import { createFileDestination, runImport } from '@ph-import/core'
import { benchTempDir, runNode } from './lib.mjs'
import { prepare } from './transform-sources.mjs'

const [connector, eventsArg] = process.argv.slice(2)
const events = Number(eventsArg)
const dir = benchTempDir(`ph-bench-${connector}-`)
const { config, source, close } = await prepare(connector, events, dir)
const staged = await runImport({
  source,
  config,
  destination: createFileDestination({ path: path.join(dir, 'out.jsonl') }),
  stateDir: dir,
  rate: 1e9,
  batchSize: 5000,
  // The timed runs below transform the staged exports again.
  keepStaged: true,
})
await close()
// Serial and on worker threads, alternating for 3 rounds over the same staged job (each run re-transforms
// every partition); the medians are kept. Dirty pages from the previous run are flushed first, so no run
// pays for another's writes.
const runs = { 1: [], 2: [] }
for (let round = 0; round < 3; round++) {
  for (const workers of [1, 2]) {
    execFileSync('sync')
    const result = await runNode('transform-timed.mjs', [connector, staged.jobDir, JSON.stringify(config)], {
      env: {
        BENCH_WORKERS: String(workers),
        PROFILE: workers === 1 && round === 0 ? (process.env.PROFILE ?? '') : '',
      },
    })
    if (result.code !== 0) throw new Error(`transform-timed.mjs exited ${result.code}`)
    const { code: _, ...figures } = result
    runs[workers].push(figures)
  }
}
const median = (list) => [...list].sort((a, b) => a.ms - b.ms)[Math.floor(list.length / 2)]
process.stdout.write(
  `${JSON.stringify({ connector, runs: [1, 2].map((w) => ({ ...median(runs[w]), rounds: runs[w].map((r) => r.ms) })) })}\n`,
)
