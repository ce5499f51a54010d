// A minimal PostHog /batch/ sink for benchmarks: gunzips and JSON-parses every body (so every contender pays
// the same server cost), counts events and unique uuids, answers like capture. Runs as its own process.
// Usage: node sink.mjs  → prints {"port":N}; GET /stats → counts; POST /reset.
import http from 'node:http'
import { gunzipSync } from 'node:zlib'

let received = 0
let requests = 0
const uuids = new Set()

const server = http.createServer((req, res) => {
  const chunks = []
  req.on('data', (c) => chunks.push(c))
  req.on('end', () => {
    if (req.method === 'GET' && req.url === '/stats') {
      res.setHeader('content-type', 'application/json')
      const cpu = process.cpuUsage()
      res.end(
        JSON.stringify({ received, unique: uuids.size, requests, cpuMs: (cpu.user + cpu.system) / 1000 }),
      )
      return
    }
    if (req.method === 'POST' && req.url === '/reset') {
      received = 0
      requests = 0
      uuids.clear()
      res.end('{}')
      return
    }
    let body = Buffer.concat(chunks)
    if (body[0] === 0x1f && body[1] === 0x8b) body = gunzipSync(body)
    let parsed
    try {
      parsed = JSON.parse(body.toString('utf8'))
    } catch {
      res.statusCode = 400
      res.end('{"error":"bad json"}')
      return
    }
    const batch = Array.isArray(parsed.batch) ? parsed.batch : [parsed]
    requests++
    for (const e of batch) {
      received++
      if (e.uuid) uuids.add(e.uuid)
    }
    res.setHeader('content-type', 'application/json')
    res.end('{"status":1}')
  })
})
server.keepAliveTimeout = 60_000
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`)
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
