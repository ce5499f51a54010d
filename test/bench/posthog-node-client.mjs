// The two posthog-node scripts a user would write, reading the same staged events ph-import sends.
// argv: mode (naive|careful) host eventsFile... ; prints {"sent":N,"ms":T,"maxRssMb":M}
import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import { PostHog } from 'posthog-node'

const [mode, host, ...files] = process.argv.slice(2)
const client = new PostHog('phc_bench', { host, historicalMigration: true })
client.on('error', () => {})
const started = performance.now()
let sent = 0
for (const file of files) {
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    if (!line) continue
    const e = JSON.parse(line)
    client.capture({
      distinctId: e.distinct_id,
      event: e.event,
      properties: e.properties,
      timestamp: new Date(e.timestamp),
      uuid: e.uuid,
    })
    sent++
    // The careful script from PostHog's guide, made safe: flush every 1,000 events and wait for it.
    if (mode === 'careful' && sent % 1000 === 0) await client.flush().catch(() => {})
  }
}
await client.shutdown(120_000).catch(() => {})
const ms = performance.now() - started
process.stdout.write(`${JSON.stringify({ sent, ms, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`)
process.exit(0)
