import { type Sandbox, startSandbox } from '@ph-import/sandbox'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import type { Destination } from '../../src/contracts/destination.js'
import { errorKind, type PhImportError, type RetriableError } from '../../src/contracts/errors.js'
import type { PostHogEvent } from '../../src/contracts/posthog-event.js'
import { defineSource } from '../../src/contracts/source.js'
import { createPostHogDestination } from '../../src/destinations/posthog/index.js'
import { systemClock } from '../../src/runtime/backoff.js'
import { type DeadLetter, deliver } from '../../src/runtime/deliver.js'
import { eventBatch } from '../../src/runtime/event-batch.js'
import { RateLimiter } from '../../src/runtime/rate-limiter.js'
import { runImport } from '../../src/runtime/run-import.js'
import { readJsonLines, tempDir } from '../helpers.js'
import { eventLines, settle, uuidsOf } from './events.js'
import { startRecordingProxy } from './recording-proxy.js'

export type Transport = 'fetch' | 'posthog-node'

const FAST = { baseMs: 5, maxMs: 50, maxAttempts: 12 }

export interface SendLog {
  requests: number
  retries: PhImportError[]
}

/** deliver() is the runtime's load path: the destination only classifies, deliver retries/splits/bisects. */
export async function send(
  destination: Destination,
  batches: readonly (readonly string[])[],
  limiter = new RateLimiter({ ratePerSecond: 1e6 }),
  /** Collects the retries of a send that throws (the returned log is lost then). */
  retries: PhImportError[] = [],
): Promise<{ dead: DeadLetter[]; log: SendLog }> {
  const log: SendLog = { requests: 0, retries }
  const dead: DeadLetter[] = []
  let offset = 0
  for (const lines of batches) {
    // As the load stage hands them over: the staged lines' bytes (never decoded on the fetch path),
    // announced with `prepare` before they are sent.
    const wire = lines.map((l) => Buffer.from(l, 'utf8'))
    destination.prepare?.(eventBatch(wire))
    const got = await deliver(wire, {
      destination,
      limiter,
      backoff: FAST,
      clock: systemClock,
      signal: new AbortController().signal,
      onRetry: (error) => log.retries.push(error),
      onRequest: () => log.requests++,
    })
    dead.push(...got.map((d) => ({ ...d, index: d.index + offset })))
    offset += lines.length
  }
  return { dead, log }
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/** A tiny in-memory source: `days` partitions of `perDay` events, already in PostHog's shape. */
export const inlineSource = defineSource({
  name: 'inline',
  description: 'in-memory events for the destination suite',
  config: z.object({
    days: z.number().int().default(3).describe('day partitions'),
    perDay: z.number().int().default(200).describe('events per day'),
  }),
  identity: () => 'suite',
  plan: ({ config }) =>
    Array.from({ length: config.days }, (_, day) => ({
      key: `day-${day}`,
      order: String(day),
      params: { day },
    })),
  async *export({ config, partition }) {
    const day = Number(partition.params.day)
    yield { records: eventLines(config.perDay, { day, prefix: `d${day}` }).map((l) => JSON.parse(l)) }
  },
  transform: (raw) => raw as PostHogEvent,
})

/** The destination test suite every transport passes, against the real sandbox. */
export function posthogDestinationSuite(transport: Transport): void {
  describe(`PostHog destination (${transport} transport) against the sandbox`, () => {
    let sandbox: Sandbox
    const destination = (overrides: { host?: string; apiKey?: string; timeoutMs?: number } = {}) =>
      createPostHogDestination({
        host: overrides.host ?? sandbox.url,
        apiKey: overrides.apiKey ?? 'phc_sandbox',
        transport,
        ...(overrides.timeoutMs ? { timeoutMs: overrides.timeoutMs } : {}),
      })

    beforeAll(async () => {
      // Capture enforcing its known-token list answers 401 to an unknown key (the default drops its events).
      sandbox = await startSandbox({ port: 0, dataDir: ':memory:', unknownKeys: 'refuse' })
    })
    afterAll(async () => {
      await sandbox.close()
    })
    beforeEach(() => {
      sandbox.setFaults({})
      sandbox.reset()
    })

    it('200: every event arrives with its uuid, timestamp and properties unchanged, as a historical import', async () => {
      const lines = eventLines(300)
      const { dead, log } = await send(destination(), chunk(lines, 100))
      expect(dead).toEqual([])
      expect(log.requests).toBe(3)
      const stored = sandbox.events()
      expect(stored).toHaveLength(300)
      for (const [i, line] of lines.entries()) {
        const sent = JSON.parse(line) as Record<string, unknown>
        const got = stored[i]!
        expect({
          event: got.event,
          distinct_id: got.distinct_id,
          uuid: got.uuid,
          timestamp: got.timestamp,
          properties: got.properties,
        }).toEqual(sent)
        expect(got.historical).toBe(true)
      }
      expect(sandbox.stats().sent_at_skewed_requests).toBe(0)
    })

    it('prepare only encodes: nothing is sent until send, and then once', async () => {
      const d = destination()
      const lines = eventLines(50)
      const wire = lines.map((l) => Buffer.from(l, 'utf8'))
      d.prepare?.(eventBatch(wire))
      await new Promise((r) => setTimeout(r, 50))
      expect(sandbox.stats().requests).toBe(0)
      await d.send(eventBatch(wire), { signal: new AbortController().signal })
      expect(sandbox.stats().requests).toBe(1)
      expect(sandbox.events().map((e) => e.uuid)).toEqual(uuidsOf(lines))
    })

    it('on the wire: historical_migration true, no sent_at, gzip, events as staged', async () => {
      const proxy = await startRecordingProxy(sandbox.url)
      try {
        const lines = eventLines(50)
        await send(destination({ host: proxy.url }), [lines])
        expect(proxy.requests).toHaveLength(1)
        const request = proxy.requests[0]!
        expect(request.path).toBe('/batch/')
        expect(request.headers['content-encoding']).toBe('gzip')
        const body = JSON.parse(request.body) as Record<string, unknown>
        expect(body.historical_migration).toBe(true)
        expect(body.api_key).toBe('phc_sandbox')
        expect('sent_at' in body).toBe(false)
        expect(body.batch).toEqual(lines.map((l) => JSON.parse(l)))
        if (transport === 'fetch') {
          // Not parsed and re-serialized: the staged bytes themselves.
          expect(request.body).toBe(
            `{"api_key":"phc_sandbox","historical_migration":true,"batch":[${lines.join(',')}]}`,
          )
        }
      } finally {
        await proxy.close()
      }
    })

    it('400 naming the event: only the poison event is dead-lettered with the server message', async () => {
      const lines = eventLines(20)
      lines[7] = lines[7]!.replace(/"event":"[^"]*"/, '"event":""')
      const { dead } = await send(destination(), [lines])
      expect(dead).toEqual([
        { index: 7, code: 'destination_rejected', message: 'event submitted with an empty event name' },
      ])
      const delivered = sandbox.uniqueUuids()
      expect(delivered.size).toBe(19)
      expect(delivered.has(uuidsOf(lines)[7]!)).toBe(false)
    })

    it('400 without an index (as PostHog answers): bisection isolates the poison event', async () => {
      const proxy = await startRecordingProxy(sandbox.url, { hideRejectedIndex: true })
      try {
        const lines = eventLines(64)
        lines[41] = lines[41]!.replace(/"event":"[^"]*"/, '"event":""')
        const { dead, log } = await send(destination({ host: proxy.url }), [lines])
        expect(dead).toEqual([
          { index: 41, code: 'destination_rejected', message: 'event submitted with an empty event name' },
        ])
        expect(sandbox.uniqueUuids().size).toBe(63)
        // 64 → 32 → 16 → 8 → 4 → 2 → 1: one failing request per level, plus the halves that pass.
        expect(log.requests).toBe(13)
      } finally {
        await proxy.close()
      }
    })

    it('400 for a body PostHog cannot read: the job stops, dead-letters nothing, and resumes once fixed', async () => {
      let corrupt = true
      const proxy = await startRecordingProxy(sandbox.url, { corruptBodies: () => corrupt })
      try {
        const dir = tempDir()
        const run = () =>
          runImport({
            source: inlineSource,
            config: { days: 2, perDay: 40 },
            destination: destination({ host: proxy.url }),
            stateDir: dir,
            rate: 1e6,
            backoff: FAST,
          })
        const failed = await run()
        expect(failed.status).toBe('failed')
        expect(failed.report.error?.message).toMatch(
          /HTTP 400, PostHog could not read the request \(failed to decode/,
        )
        expect(failed.report.error?.hint).toMatch(/proxy/)
        expect(failed.report.events.deadLettered).toBe(0)
        // One request, not a bisection down to every event (the other is the key check, which the cut body
        // makes unverifiable).
        expect(proxy.requests.filter((r) => r.path.startsWith('/batch'))).toHaveLength(1)
        corrupt = false
        const resumed = await run()
        expect(resumed.status).toBe('done')
        expect(resumed.report.events).toMatchObject({ loaded: 80, deadLettered: 0 })
        expect(sandbox.uniqueUuids().size).toBe(80)
      } finally {
        await proxy.close()
      }
    })

    it('401: the job stops with a message about the project key and region, without the key', async () => {
      const secret = 'phc_not_this_projects_key_123'
      const error = await send(destination({ apiKey: secret }), [eventLines(5)]).catch((e: unknown) => e)
      expect(errorKind(error)).toBe('fatal')
      const { message, hint } = error as PhImportError
      expect(message).toMatch(/HTTP 401.*project API key was refused/)
      expect(hint).toMatch(/phx_/)
      expect(hint).toMatch(/--posthog-host eu/)
      expect(`${message} ${hint}`).not.toContain(secret)
      expect(sandbox.stats().received).toBe(0)
    })

    it('runImport end to end under faults: every event once in the sandbox, accounting closed', async () => {
      sandbox.setFaults({ partialWriteRate: 0.2, errorRate: 0.1, dropRate: 0.05 })
      const stateDir = tempDir()
      const result = await runImport({
        source: inlineSource,
        config: { days: 3, perDay: 200 },
        destination: destination(),
        stateDir,
        rate: 1e6,
        batchSize: 50,
        backoff: FAST,
        secrets: ['phc_sandbox'],
      })
      expect(result.status).toBe('done')
      expect(result.report.events).toMatchObject({ staged: 600, loaded: 600, deadLettered: 0, pending: 0 })
      const expected = [0, 1, 2].flatMap((day) => uuidsOf(eventLines(200, { day, prefix: `d${day}` })))
      expect(sandbox.uniqueUuids()).toEqual(new Set(expected))
      expect(readJsonLines(`${result.jobDir}/rejects.jsonl`)).toEqual([])
      const days = Object.keys(sandbox.stats().events_by_day).sort()
      expect(days).toEqual(['2024-01-01', '2024-01-02', '2024-01-03'])
    })

    it('a destination that answered, then refuses connections for a while: the job waits it out and completes', async () => {
      const dataDir = tempDir()
      let down = await startSandbox({ port: 0, dataDir })
      const { port } = down
      const real = destination({ host: down.url })
      let outage: Promise<void> | undefined
      const retries: string[] = []
      const result = await runImport({
        source: inlineSource,
        config: { days: 3, perDay: 200 },
        destination: {
          ...real,
          send: async (batch, options) => {
            await real.send(batch, options)
            // After the first acknowledged batch: nothing listens for 600 ms (a restart, a deploy), then the
            // same server is back on the same port with the same data. That is several refused attempts.
            outage ??= (async () => {
              await down.close()
              await new Promise((resolve) => setTimeout(resolve, 600))
              down = await startSandbox({ port, dataDir })
            })()
          },
        },
        stateDir: tempDir(),
        rate: 1e6,
        batchSize: 50,
        backoff: { baseMs: 50, maxMs: 100, maxAttempts: 40 },
        onProgress: (e) => {
          if (e.type === 'retry' && e.stage === 'load') retries.push(e.message)
        },
      })
      await outage
      try {
        expect(result.report.error).toBeUndefined()
        expect(result.status).toBe('done')
        // The outage was met, not missed: sends were refused and retried.
        expect(retries.some((m) => /ECONNREFUSED|ECONNRESET|socket hang up|cannot reach/i.test(m))).toBe(true)
        const expected = [0, 1, 2].flatMap((day) => uuidsOf(eventLines(200, { day, prefix: `d${day}` })))
        expect(down.uniqueUuids()).toEqual(new Set(expected))
      } finally {
        await down.close()
      }
    })

    it('413: a batch over the body limit is split until it fits; an oversized event is dead-lettered alone', async () => {
      const small = await startSandbox({
        port: 0,
        dataDir: ':memory:',
        maxBodyBytes: 20_000,
        maxEventBytes: 3_000,
      })
      try {
        const lines = eventLines(100, { pad: 300 })
        lines[30] = eventLines(1, { prefix: 'big', pad: 5_000 })[0]!
        const { dead, log } = await send(destination({ host: small.url }), [lines])
        expect(dead).toHaveLength(1)
        expect(dead[0]).toMatchObject({ index: 30, code: 'too_large' })
        expect(dead[0]!.message).toMatch(/HTTP 413/)
        expect(log.requests).toBeGreaterThan(4)
        expect(small.uniqueUuids()).toEqual(new Set(uuidsOf(lines).filter((_, i) => i !== 30)))
      } finally {
        await small.close()
      }
    })

    it('429 with Retry-After: the wait is honoured and the job slows down', async () => {
      sandbox.setFaults({ rateLimit: 500, rateLimitBurst: 500 })
      const limiter = new RateLimiter({ ratePerSecond: 1600 })
      const ratesAt429: number[] = []
      const retries: RetriableError[] = []
      const lines = eventLines(1500, { prefix: 'rl' })
      for (const batch of chunk(lines, 100)) {
        const dead = await deliver(batch, {
          destination: destination(),
          limiter,
          backoff: FAST,
          clock: systemClock,
          signal: new AbortController().signal,
          onRetry: (error) => {
            retries.push(error as RetriableError)
            ratesAt429.push(limiter.rate)
          },
        })
        expect(dead).toEqual([])
      }
      expect(retries.length).toBeGreaterThan(0)
      for (const retry of retries) expect(retry).toMatchObject({ rateLimited: true, retryAfterMs: 1000 })
      expect(Math.max(...ratesAt429)).toBeLessThanOrEqual(800)
      expect(sandbox.uniqueUuids().size).toBe(1500)
      // Pausing for Retry-After and halving the rate keeps the 429s to a handful, not one per batch.
      expect(sandbox.stats().faults.rate_limited).toBe(retries.length)
      expect(retries.length).toBeLessThanOrEqual(4)
    })

    it('503 after a partial write: resending the same uuids leaves duplicates, never gaps', async () => {
      sandbox.setFaults({ partialWriteRate: 0.5 })
      const lines = eventLines(500)
      const { dead } = await send(destination(), chunk(lines, 50))
      expect(dead).toEqual([])
      const stats = sandbox.stats()
      expect(stats.faults.partial_writes).toBeGreaterThan(0)
      expect(stats.duplicates).toBeGreaterThan(0)
      expect(stats.received).toBeGreaterThan(500)
      expect(sandbox.uniqueUuids()).toEqual(new Set(uuidsOf(lines)))
    })

    it('random 500/503 and dropped connections are retried until everything is delivered', async () => {
      sandbox.setFaults({ errorRate: 0.3, dropRate: 0.2 })
      const lines = eventLines(400)
      const { dead, log } = await send(destination(), chunk(lines, 40))
      expect(dead).toEqual([])
      const faults = sandbox.stats().faults
      expect(faults.errors).toBeGreaterThan(0)
      expect(faults.dropped).toBeGreaterThan(0)
      expect(log.retries.every((e) => errorKind(e) === 'retriable')).toBe(true)
      expect(log.retries.some((e) => /network error/.test(e.message))).toBe(true)
      expect(log.retries.some((e) => /HTTP 50[03]/.test(e.message))).toBe(true)
      expect(sandbox.uniqueUuids()).toEqual(new Set(uuidsOf(lines)))
    })

    it('a server slower than the timeout: the batch is retried and nothing is lost', async () => {
      sandbox.setFaults({ latencyJitterMs: 400 })
      const lines = eventLines(60)
      const { dead, log } = await send(destination({ timeoutMs: 200 }), chunk(lines, 10))
      expect(dead).toEqual([])
      expect(log.retries.some((e) => /no answer within 200 ms/.test(e.message))).toBe(true)
      // The sandbox still stores a request the client gave up on; wait for those to land.
      await settle(() => sandbox.stats().requests >= log.requests)
      expect(sandbox.uniqueUuids()).toEqual(new Set(uuidsOf(lines)))
    })
  })
}
