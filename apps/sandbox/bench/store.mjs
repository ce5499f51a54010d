// Insert throughput of the store alone (no HTTP): node apps/sandbox/bench/store.mjs [events]
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { acceptEvent } from '../dist/capture/normalize.js'
import { EventStore } from '../dist/store/event-store.js'

const total = Number(process.argv[2] ?? 200_000)
const dir = mkdtempSync(join(tmpdir(), 'sandbox-store-bench-'))
const store = new EventStore(process.env.BENCH_MEMORY === '1' ? ':memory:' : dir)
const now = Date.now()
const batches = []
for (let from = 0; from < total; from += 1000) {
  const batch = []
  for (let i = from; i < from + 1000; i++) {
    const raw = {
      event: 'button_clicked',
      distinct_id: `user-${i % 5000}`,
      uuid: randomUUID(),
      timestamp: new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString(),
      properties: { $current_url: `https://example.com/p/${i % 100}`, plan: 'pro', value: i, $lib: 'bench' },
    }
    batch.push(acceptEvent(raw, i - from, now, 1_000_000))
  }
  batches.push(batch)
}
const request = {
  route: '/batch/',
  status: 200,
  events: 1000,
  bytes: 0,
  sentAtSkewMs: undefined,
  error: undefined,
}
const started = performance.now()
const cpu = process.cpuUsage()
for (const batch of batches) store.record(request, batch, true)
const seconds = (performance.now() - started) / 1000
const used = process.cpuUsage(cpu)
const cpuSeconds = (used.user + used.system) / 1e6
console.log(
  `store: ${total} inserts in ${seconds.toFixed(2)} s wall = ${Math.round(total / seconds)}/s (cpu ${cpuSeconds.toFixed(2)} s)`,
)
store.close()
rmSync(dir, { recursive: true, force: true })
