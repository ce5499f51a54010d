// Insert throughput over HTTP: node apps/sandbox/bench/throughput.mjs [events] [batchSize] [concurrency]
// Runs against the built dist with a file data dir (the durable path), posts plain JSON batches to /batch/.
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { startSandbox } from '../dist/index.js'

const total = Number(process.argv[2] ?? 200_000)
const batchSize = Number(process.argv[3] ?? 1000)
const concurrency = Number(process.argv[4] ?? 2)
const gzip = process.env.BENCH_GZIP === '1'

function makeBody(from) {
  const batch = []
  for (let i = from; i < Math.min(total, from + batchSize); i++) {
    batch.push({
      event: i % 5 === 0 ? '$pageview' : 'button_clicked',
      distinct_id: `user-${i % 5000}`,
      uuid: randomUUID(),
      timestamp: new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString(),
      properties: { $current_url: `https://example.com/p/${i % 100}`, plan: 'pro', value: i, $lib: 'bench' },
    })
  }
  const json = JSON.stringify({ api_key: 'phc_sandbox', historical_migration: true, batch })
  return gzip ? gzipSync(json) : Buffer.from(json)
}

const dir = mkdtempSync(join(tmpdir(), 'sandbox-bench-'))
const sandbox = await startSandbox({ dataDir: process.env.BENCH_MEMORY === '1' ? ':memory:' : dir })
const bodies = []
for (let from = 0; from < total; from += batchSize) bodies.push(makeBody(from))
let next = 0
const cpu = process.cpuUsage()
const started = performance.now()
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < bodies.length) {
      const body = bodies[next++]
      const response = await fetch(`${sandbox.url}/batch/`, { method: 'POST', body })
      if (response.status !== 200) throw new Error(`status ${response.status}: ${await response.text()}`)
    }
  }),
)
const seconds = (performance.now() - started) / 1000
const used = process.cpuUsage(cpu)
// Client and server share this process, so CPU time is a conservative figure for the server alone.
const cpuSeconds = (used.user + used.system) / 1e6
const stats = sandbox.stats()
console.log(
  `${stats.received} events in ${seconds.toFixed(2)} s wall = ${Math.round(stats.received / seconds)} events/s; ` +
    `${cpuSeconds.toFixed(2)} s CPU = ${Math.round(stats.received / cpuSeconds)} events per CPU-second ` +
    `(batch ${batchSize}, concurrency ${concurrency}, ${gzip ? 'gzip' : 'plain JSON'}, ` +
    `${process.env.BENCH_MEMORY === '1' ? ':memory:' : 'file'} store)`,
)
await sandbox.close()
rmSync(dir, { recursive: true, force: true })
