import { randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type Sandbox, startSandbox } from '@ph-import/sandbox'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { countEventsByDay } from '../../src/destinations/posthog/daily-counts.js'
import { startRecordingProxy } from './recording-proxy.js'

let sandbox: Sandbox
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, dataDir: ':memory:' })
})
afterAll(() => sandbox.close())

const event = (timestamp: string, source = 'amplitude') => ({
  event: 'e',
  distinct_id: 'u',
  uuid: randomUUID(),
  timestamp,
  properties: { $import_source: source },
})

describe("PostHog's count of an import per UTC day (ph-import verify)", () => {
  it('counts a range of years a quarter at a time: every day once, none from another source', async () => {
    const days = ['2022-01-01', '2022-04-02', '2022-04-03', '2023-06-30', '2024-03-14']
    const events = days.flatMap((day, i) =>
      Array.from({ length: i + 1 }, () => event(`${day}T23:59:59.999Z`)),
    )
    events.push(event('2022-04-02T12:00:00Z', 'csv'))
    const response = await fetch(`${sandbox.url}/batch/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ api_key: 'phc_sandbox', historical_migration: true, batch: events }),
    })
    expect(response.status).toBe(200)
    const proxy = await startRecordingProxy(sandbox.url)
    try {
      const counts = await countEventsByDay({
        host: proxy.url,
        personalApiKey: 'phx_sandbox',
        projectId: '1',
        importSource: 'amplitude',
        from: '2022-01-01',
        to: '2024-03-15',
      })
      expect(Object.fromEntries(counts)).toEqual({
        '2022-01-01': 1,
        '2022-04-02': 2,
        '2022-04-03': 3,
        '2023-06-30': 4,
        '2024-03-14': 5,
      })
      // 804 days in windows of 92: 9 queries, each ending where the next starts.
      const windows = proxy.requests.map((r) => {
        const query = (JSON.parse(r.body) as { query: { query: string } }).query.query
        return [...query.matchAll(/toDateTime\('(\d{4}-\d{2}-\d{2})/g)].map((m) => m[1])
      })
      expect(windows).toHaveLength(9)
      expect(windows[0]?.[0]).toBe('2022-01-01')
      expect(windows.at(-1)?.[1]).toBe('2024-03-15')
      for (let i = 1; i < windows.length; i++) expect(windows[i]?.[0]).toBe(windows[i - 1]?.[1])
    } finally {
      await proxy.close()
    }
  })
  it('retries a busy PostHog (429, 5xx) and then says to try later, not what to fix', async () => {
    let answers = [503, 429, 200]
    const server = createServer((_req, res) => {
      const status = answers.shift() ?? 503
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(status === 200 ? { results: [['2024-01-01', 7]] } : { detail: 'busy' }))
    }).listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    const options = {
      host: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      personalApiKey: 'phx_secret_value',
      projectId: '1',
      importSource: 'csv',
      from: '2024-01-01',
      to: '2024-01-02',
      backoff: { baseMs: 1, maxMs: 2, maxAttempts: 3 },
    }
    try {
      expect(Object.fromEntries(await countEventsByDay(options))).toEqual({ '2024-01-01': 7 })
      answers = []
      const error = (await countEventsByDay(options).catch((e: unknown) => e)) as Error & { hint?: string }
      expect(error.message).toBe("PostHog's query API answered HTTP 503 to every try: busy")
      expect(error.hint).toMatch(/run verify again in a few minutes/)
      expect(`${error.message} ${error.hint}`).not.toContain('phx_secret_value')
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })
})
