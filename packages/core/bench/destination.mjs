// Throughput of the PostHog destination's two transports (fetch vs posthog-node), unthrottled.
//
//   npx tsc -p packages/core/tsconfig.build.json && node packages/core/bench/destination.mjs [events] [rounds]
//
// Each receiver runs in its own child process so the client's CPU time is measured alone:
//   - sandbox: the real @ph-import/sandbox (gunzip, validate, SQLite insert), end to end;
//   - discard: a bare node:http server that reads the body and answers 200, i.e. the client's ceiling.
// Batches of 1,000 pre-serialized lines (the runtime's default) go through core's deliver(), two in
// flight (the runtime's default concurrency), with the rate limiter set far above what is reachable.
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createPostHogDestination, RateLimiter, systemClock, uuidV5 } from '../dist/index.js'
import { deliver } from '../dist/runtime/deliver.js'

const TOTAL = Number(process.argv[2] ?? 200_000)
const ROUNDS = Number(process.argv[3] ?? 2)
const BATCH = 1000
const CONCURRENCY = 2

if (process.argv[2] === '--receiver') {
  const kind = process.argv[3]
  if (kind === 'sandbox') {
    const { startSandbox } = await import('@ph-import/sandbox')
    const sandbox = await startSandbox({ port: 0, dataDir: ':memory:' })
    process.on('message', (m) => {
      if (m === 'stats') process.send({ stats: sandbox.stats() })
      if (m === 'reset') {
        sandbox.reset()
        process.send({ reset: true })
      }
    })
    process.send({ url: sandbox.url })
  } else {
    const { createServer } = await import('node:http')
    let events = 0
    const server = createServer((req, res) => {
      req.on('data', () => {})
      req.on('end', () => {
        events++
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":1}')
      })
    })
    server.keepAliveTimeout = 30_000
    server.listen(0, '127.0.0.1', () => process.send({ url: `http://127.0.0.1:${server.address().port}` }))
    process.on('message', (m) => {
      if (m === 'stats') process.send({ stats: { requests: events } })
      if (m === 'reset') process.send({ reset: true })
    })
  }
} else {
  await main()
}

function startReceiver(kind) {
  const child = fork(fileURLToPath(import.meta.url), ['--receiver', kind], { stdio: 'inherit' })
  const ask = (message, key) =>
    new Promise((resolve) => {
      const onMessage = (m) => {
        if (key in m) {
          child.off('message', onMessage)
          resolve(m[key])
        }
      }
      child.on('message', onMessage)
      if (message) child.send(message)
    })
  return {
    child,
    url: ask(undefined, 'url'),
    stats: () => ask('stats', 'stats'),
    reset: () => ask('reset', 'reset'),
  }
}

function lines(count) {
  const out = new Array(count)
  const t0 = Date.UTC(2024, 0, 1)
  for (let i = 0; i < count; i++) {
    out[i] = JSON.stringify({
      event: i % 5 === 0 ? '$pageview' : `event_${i % 7}`,
      distinct_id: `user-${i % 5003}`,
      uuid: uuidV5(`bench-${i}`),
      timestamp: new Date(t0 + i * 250).toISOString(),
      properties: {
        $current_url: `https://example.com/page/${i % 101}`,
        $browser: 'Chrome',
        $os: 'Mac OS X',
        plan: i % 3 === 0 ? 'free' : 'pro',
        value: i,
        $import_source: 'bench',
        $geoip_disable: true,
      },
    })
  }
  return out
}

async function run(transport, url, all) {
  const destination = createPostHogDestination({ host: url, apiKey: 'phc_sandbox', transport })
  const limiter = new RateLimiter({ ratePerSecond: 1e9 })
  const signal = new AbortController().signal
  let next = 0
  const worker = async () => {
    for (;;) {
      const start = next
      next += BATCH
      if (start >= all.length) return
      const dead = await deliver(all.slice(start, start + BATCH), {
        destination,
        limiter,
        backoff: { baseMs: 50, maxMs: 1000, maxAttempts: 5 },
        clock: systemClock,
        signal,
      })
      if (dead.length > 0) throw new Error(`${dead.length} dead letters: ${dead[0].message}`)
    }
  }
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  const seconds = (performance.now() - t0) / 1000
  const cpu = process.cpuUsage(cpu0)
  return {
    eventsPerSecond: all.length / seconds,
    cpuMsPer1k: (cpu.user + cpu.system) / 1000 / (all.length / 1000),
  }
}

async function main() {
  const all = lines(TOTAL)
  const mb = all.reduce((n, l) => n + Buffer.byteLength(l), 0) / 1e6
  console.log(
    `${TOTAL} events (${mb.toFixed(1)} MB of JSON lines), batches of ${BATCH}, ${CONCURRENCY} in flight, ${ROUNDS} rounds`,
  )
  const results = []
  for (const kind of ['discard', 'sandbox']) {
    const receiver = startReceiver(kind)
    const url = await receiver.url
    // Warm up JIT and connections on both transports before measuring.
    for (const transport of ['fetch', 'posthog-node']) await run(transport, url, all.slice(0, 20_000))
    for (let round = 1; round <= ROUNDS; round++) {
      for (const transport of ['fetch', 'posthog-node']) {
        await receiver.reset()
        const r = await run(transport, url, all)
        if (kind === 'sandbox') {
          const stats = await receiver.stats()
          if (stats.unique_uuids !== TOTAL) throw new Error(`sandbox holds ${stats.unique_uuids} of ${TOTAL}`)
        }
        results.push({ receiver: kind, transport, round, ...r })
        console.log(
          `${kind.padEnd(8)} ${transport.padEnd(13)} round ${round}: ${Math.round(r.eventsPerSecond).toLocaleString('en-US').padStart(8)} events/s, ` +
            `client CPU ${r.cpuMsPer1k.toFixed(1)} ms per 1k events`,
        )
      }
    }
    receiver.child.kill()
  }
  console.log('\nbest of rounds (events/s):')
  for (const kind of ['discard', 'sandbox']) {
    const best = (t) =>
      Math.max(
        ...results.filter((r) => r.receiver === kind && r.transport === t).map((r) => r.eventsPerSecond),
      )
    const f = best('fetch')
    const p = best('posthog-node')
    console.log(
      `  ${kind.padEnd(8)} fetch ${Math.round(f).toLocaleString('en-US')}  posthog-node ${Math.round(p).toLocaleString('en-US')}  (fetch ${(f / p).toFixed(2)}x)`,
    )
  }
}
