import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { gunzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import type { Destination, EventBatch } from '../src/contracts/destination.js'
import {
  ConfigError,
  FatalError,
  RejectedEventsError,
  RetriableError,
  SplitPartition,
} from '../src/contracts/errors.js'
import { MappingConfig } from '../src/contracts/mapping.js'
import {
  type AnySource,
  defineSource,
  type ExportPage,
  type TransformContext,
} from '../src/contracts/source.js'
import { createFileDestination } from '../src/destinations/file.js'
import { createPostHogDestination } from '../src/destinations/posthog/index.js'
import { jobIdFor } from '../src/runtime/job-id.js'
import { runImport } from '../src/runtime/run-import.js'
import type { RunImportOptions } from '../src/runtime/run-options.js'
import { toIsoTimestamp } from '../src/util/time.js'
// @ts-expect-error plain ESM fixture shared with child processes
import { expectedValidIds, testSource } from './fixtures/test-source.mjs'
import { readJsonLines, tempDir } from './helpers.js'

const fast = { baseMs: 1, maxMs: 5, maxAttempts: 4 }
const base = { days: 4, perDay: 500, token: 'tok-SECRET-1234', pageSize: 100 }

describe('runImport', () => {
  it('loads every valid record once, dead-letters the invalid ones, and the accounting holds', async () => {
    const dir = tempDir()
    const out = path.join(dir, 'out.jsonl')
    const result = await runImport({
      source: testSource,
      config: base,
      destination: createFileDestination({ path: out }),
      stateDir: dir,
      rate: 1e6,
    })
    expect(result.status).toBe('done')
    const events = readJsonLines<{ uuid: string; properties: { source_id: string } }>(out)
    const expected = expectedValidIds(base) as string[]
    expect(events.map((e) => e.properties.source_id).sort()).toEqual([...expected].sort())
    expect(new Set(events.map((e) => e.uuid)).size).toBe(events.length)
    const rejects = readJsonLines<{ code: string; line: number; partition: string }>(
      path.join(result.jobDir, 'rejects.jsonl'),
    )
    expect(rejects.length).toBe(2000 - expected.length)
    expect(new Set(rejects.map((r) => r.code))).toEqual(
      new Set(['missing_event_name', 'illegal_distinct_id', 'invalid_time']),
    )
    const report = result.report
    expect(report.accounting.ok).toBe(true)
    expect(report.records).toEqual({
      read: 2000,
      staged: expected.length,
      filtered: 0,
      rejected: rejects.length,
    })
    expect(report.events.loaded).toBe(expected.length)
    expect(report.events.pending).toBe(0)
    expect(Object.keys(report.eventsByDay)).toEqual(['2024-01-01', '2024-01-02', '2024-01-03', '2024-01-04'])
    expect(JSON.parse(readFileSync(path.join(result.jobDir, 'report.json'), 'utf8')).jobId).toBe(result.jobId)
  })

  it('reports each partition through every stage, load included: started once, done once, in load order', async () => {
    const dir = tempDir()
    const seen: string[] = []
    const result = await importFixture(dir, {
      onProgress: (e) => {
        if (e.type === 'partition') seen.push(`${e.stage} ${e.status} ${e.key}`)
      },
    })
    expect(result.status).toBe('done')
    const keys = result.report.perPartition.map((p) => p.key)
    expect(keys).toHaveLength(base.days)
    // Once each, in load order; a stage may start a partition while the previous one is still finishing.
    for (const stage of ['export', 'transform', 'load']) {
      for (const status of ['started', 'done'])
        expect(seen.filter((line) => line.startsWith(`${stage} ${status} `))).toEqual(
          keys.map((k) => `${stage} ${status} ${k}`),
        )
      for (const k of keys)
        expect(seen.indexOf(`${stage} started ${k}`)).toBeLessThan(seen.indexOf(`${stage} done ${k}`))
    }
  })

  it('events go out oldest partition first, in order within a partition', async () => {
    const dir = tempDir()
    const out = path.join(dir, 'out.jsonl')
    const result = await runImport({
      source: testSource,
      config: base,
      destination: createFileDestination({ path: out }),
      stateDir: dir,
      rate: 1e6,
      concurrency: 1,
    })
    expect(result.status).toBe('done')
    const ts = readJsonLines<{ timestamp: string }>(out).map((e) => e.timestamp)
    expect(ts).toHaveLength(result.report.events.loaded)
    expect(ts.length).toBeGreaterThan(0)
    expect(ts).toEqual([...ts].sort())
  })

  it('re-running the same command resumes the same job and sends nothing twice', async () => {
    const dir = tempDir()
    const out = path.join(dir, 'out.jsonl')
    const first = await runImport({
      source: testSource,
      config: base,
      destination: createFileDestination({ path: out }),
      stateDir: dir,
      rate: 1e6,
    })
    const second = await runImport({
      source: testSource,
      config: base,
      destination: createFileDestination({ path: out }),
      stateDir: dir,
      rate: 1e6,
    })
    expect(second.jobId).toBe(first.jobId)
    expect(second.status).toBe('done')
    expect(readJsonLines(out).length).toBe(first.report.events.loaded)
    const fresh = await runImport({
      source: testSource,
      config: base,
      destination: createFileDestination({ path: out }),
      stateDir: dir,
      rate: 1e6,
      fresh: true,
    })
    expect(fresh.report.events.loaded).toBe(first.report.events.loaded)
    // Started over: every event was sent again (a resume of the finished job would have sent none).
    expect(readJsonLines(out).length).toBe(2 * first.report.events.loaded)
  })

  it('an abort stops the job as interrupted; the next run completes with no gap', async () => {
    const dir = tempDir()
    const out = path.join(dir, 'out.jsonl')
    const config = { ...base, pageDelayMs: 5 }
    const controller = new AbortController()
    const first = await runImport({
      source: testSource,
      config,
      destination: createFileDestination({ path: out }),
      stateDir: dir,
      rate: 1e6,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.type === 'partition' && e.stage === 'transform' && e.status === 'done') controller.abort()
      },
    })
    expect(first.status).toBe('interrupted')
    const second = await runImport({
      source: testSource,
      config,
      destination: createFileDestination({ path: out }),
      stateDir: dir,
      rate: 1e6,
    })
    expect(second.status).toBe('done')
    const ids = new Set(
      readJsonLines<{ properties: { source_id: string } }>(out).map((e) => e.properties.source_id),
    )
    expect([...ids].sort()).toEqual([...(expectedValidIds(config) as string[])].sort())
  })

  it('config errors name the field and never echo the secret', async () => {
    const dir = tempDir()
    const attempt = (token: string) =>
      runImport({
        source: testSource,
        config: { days: 'x', token },
        destination: createFileDestination({ path: path.join(dir, 'o') }),
        stateDir: dir,
      }).then(
        () => expect.unreachable('a bad config must be refused'),
        (error: Error) => `${error.message} ${(error as { hint?: string }).hint ?? ''}`,
      )
    expect(await attempt('')).toMatch(/days[\s\S]*token/)
    // A secret given alongside the bad field is not repeated in the error.
    const text = await attempt('tok-SECRET-5678')
    expect(text).toMatch(/days/)
    expect(text).not.toContain('tok-SECRET-5678')
  })

  it('never writes a secret to the job directory', async () => {
    const dir = tempDir()
    const result = await runImport({
      source: testSource,
      config: base,
      destination: createFileDestination({ path: path.join(dir, 'o.jsonl') }),
      stateDir: dir,
      rate: 1e6,
      // Kept, to be searched too.
      keepStaged: true,
    })
    const walk = (d: string): string[] =>
      readdirSync(d, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)],
      )
    const files = walk(result.jobDir)
    // Staged exports are gzip: searched inflated too.
    expect(files.some((f) => f.endsWith('.gz'))).toBe(true)
    for (const file of files) {
      const bytes = readFileSync(file)
      const text = (file.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('latin1')
      expect(text.includes('tok-SECRET-1234'), file).toBe(false)
    }
  })

  it('resumes a job an earlier build started, whose id also hashed the fields left at their default', async () => {
    const dir = tempDir()
    const config = { ...base, days: 1, perDay: 20 }
    const destination = () => createFileDestination({ path: path.join(dir, 'o.jsonl') })
    const parsed = testSource.config.parse(config) as Record<string, unknown>
    const legacy = jobIdFor(
      testSource,
      parsed,
      destination().describe(),
      undefined,
      undefined,
      undefined,
      true,
    )
    expect(legacy).not.toBe(jobIdFor(testSource, parsed, destination().describe()))
    const first = await runImport({
      source: testSource,
      config,
      destination: destination(),
      stateDir: dir,
      jobId: legacy,
    })
    expect(first.status).toBe('done')
    const again = await runImport({ source: testSource, config, destination: destination(), stateDir: dir })
    expect(again.jobId).toBe(legacy)
    expect(readdirSync(path.join(dir, 'jobs'))).toEqual([legacy])
  })

  it('keeps a secret an API or a transform echoes in its error out of the state, report and rejects', async () => {
    const dir = tempDir()
    // An API that names the key in its error body, for one day; a transform that puts it in its message.
    const echoing = {
      ...testSource,
      async *export(ctx: Parameters<typeof testSource.export>[0]) {
        if (ctx.partition.key === 'day-001')
          throw new Error(`HTTP 503 upstream timeout for key ${ctx.config.token}`)
        yield* testSource.export(ctx)
      },
      transform: (raw: { value: number }, ctx: TransformContext) => {
        if (raw.value % 50 === 0)
          throw new Error(`cannot sign with ${(ctx.config as { token: string }).token}`)
        return testSource.transform(raw, ctx)
      },
    } as AnySource
    const result = await runImport({
      source: echoing,
      config: { ...base, days: 2, perDay: 100 },
      destination: createFileDestination({ path: path.join(dir, 'o.jsonl') }),
      stateDir: dir,
      rate: 1e6,
      backoff: fast,
    })
    expect(result.status).toBe('incomplete')
    expect(result.report.rejectsByCode).toMatchObject({ transform_error: 2 })
    for (const file of ['state.json', 'report.json', 'rejects.jsonl']) {
      const text = readFileSync(path.join(result.jobDir, file), 'utf8')
      expect(text, file).toMatch(/\*\*\*/)
      expect(text.includes('tok-SECRET-1234'), file).toBe(false)
    }
    expect(JSON.stringify(result).includes('tok-SECRET-1234')).toBe(false)
  })
})

/** The event of record number `n` of the scripted sources below. */
/** testSource over `base` into `<dir>/out.jsonl`, its job in `dir`; `extra` adds or replaces options. */
function importFixture(dir: string, extra: Partial<RunImportOptions> = {}) {
  return runImport({
    source: testSource,
    config: base,
    destination: createFileDestination({ path: path.join(dir, 'out.jsonl') }),
    stateDir: dir,
    rate: 1e6,
    ...extra,
  })
}

function numbered(n: number, ctx: TransformContext) {
  return {
    event: 'e',
    distinct_id: `u${n}`,
    uuid: ctx.uuid(n),
    timestamp: toIsoTimestamp(Date.UTC(2024, 0, 1) + n * 1000),
    properties: { n },
  }
}

/** A source of one partition that exports `pages` as given; a record of text is rejected, others numbered. */
function onePartition(name: string, pages: ExportPage[]) {
  return defineSource({
    name,
    description: 'scripted',
    config: z.object({}),
    plan: () => [{ key: 'all', params: {} }],
    async *export() {
      yield* pages
    },
    transform: (raw: unknown, ctx) =>
      typeof raw === 'string'
        ? ctx.reject('text_record', 'a record of text')
        : numbered((raw as { n: number }).n, ctx),
  })
}

describe('runtime policies with scripted sources and destinations', () => {
  const mini = (opts: { failFirst?: number; split?: boolean; fatal?: boolean }) => {
    let calls = 0
    return defineSource({
      name: 'mini',
      description: 'scripted',
      config: z.object({}),
      plan: () => [{ key: 'all', order: 'a', params: { from: 0, to: 100 } }],
      async *export({ partition }) {
        calls++
        if (opts.fatal) throw new FatalError('HTTP 403: credentials refused')
        if (opts.failFirst && calls <= opts.failFirst) throw new RetriableError('HTTP 503')
        const { from, to } = partition.params as { from: number; to: number }
        if (opts.split && to - from > 25) {
          const mid = Math.floor((from + to) / 2)
          throw new SplitPartition('too big', [
            { key: `${from}-${mid}`, order: `a${String(from).padStart(4, '0')}`, params: { from, to: mid } },
            { key: `${mid}-${to}`, order: `a${String(mid).padStart(4, '0')}`, params: { from: mid, to } },
          ])
        }
        yield { records: Array.from({ length: to - from }, (_, i) => ({ n: from + i })) }
      },
      transform: (raw: unknown, ctx) => numbered((raw as { n: number }).n, ctx),
    })
  }

  it('retries a failing export with backoff and then succeeds', async () => {
    const dir = tempDir()
    const out = path.join(dir, 'o.jsonl')
    const retries: number[] = []
    const r = await runImport({
      source: mini({ failFirst: 2 }),
      config: {},
      destination: createFileDestination({ path: out }),
      stateDir: dir,
      rate: 1e6,
      backoff: fast,
      onProgress: (e) => {
        if (e.type === 'retry') retries.push(e.attempt)
      },
    })
    expect(r.status).toBe('done')
    expect(retries).toEqual([1, 2])
    expect(readJsonLines(out).length).toBe(100)
  })

  it('SplitPartition replaces the partition with its children, in order, nothing lost', async () => {
    const dir = tempDir()
    const out = path.join(dir, 'o.jsonl')
    const r = await runImport({
      source: mini({ split: true }),
      config: {},
      destination: createFileDestination({ path: out }),
      stateDir: dir,
      rate: 1e6,
    })
    expect(r.status).toBe('done')
    expect(r.report.partitions.total).toBe(4)
    const ns = readJsonLines<{ properties: { n: number } }>(out).map((e) => e.properties.n)
    expect(ns).toEqual(Array.from({ length: 100 }, (_, i) => i))
  })

  it('pages of JSON lines are staged as they are; a bad line is dead-lettered, one with a newline stays one record', async () => {
    const lines = onePartition('lines', [
      { lines: Array.from({ length: 50 }, (_, n) => JSON.stringify({ n })) },
      // Valid JSON across two lines, then text that is not JSON.
      { lines: ['{"n":\n1000}', 'not json'], records: [{ n: 50 }] },
    ])
    const dir = tempDir()
    const out = path.join(dir, 'o.jsonl')
    const r = await runImport({
      source: lines,
      config: {},
      destination: createFileDestination({ path: out }),
      stateDir: dir,
      rate: 1e6,
    })
    expect(r.status).toBe('done')
    expect(readJsonLines<{ properties: { n: number } }>(out).map((e) => e.properties.n)).toEqual(
      Array.from({ length: 51 }, (_, n) => n),
    )
    expect(r.report.records).toMatchObject({ read: 53, rejected: 2 })
    const rejects = readJsonLines<{ code: string; record: unknown }>(path.join(r.jobDir, 'rejects.jsonl'))
    expect(rejects.map((x) => [x.code, x.record])).toEqual([
      ['text_record', '{"n":\n1000}'],
      ['unparsable_record', 'not json'],
    ])
  })

  it('a destination that needs no pacing (a file) is not held to the default rate', async () => {
    const many = onePartition('many', [{ records: Array.from({ length: 10_000 }, (_, n) => ({ n })) }])
    const dir = tempDir()
    const out = path.join(dir, 'o.jsonl')
    // No rate given: paced at the default 1,000 events/s, 10,000 events could not take less than ~9.75 s.
    const r = await runImport({
      source: many,
      config: {},
      destination: createFileDestination({ path: out }),
      stateDir: dir,
    })
    expect(r.status).toBe('done')
    expect(readJsonLines(out)).toHaveLength(10_000)
    expect(r.report.durationMs).toBeLessThan(5000)
  })

  it('a fatal source error fails the job with the message and keeps state', async () => {
    const dir = tempDir()
    const r = await runImport({
      source: mini({ fatal: true }),
      config: {},
      destination: createFileDestination({ path: path.join(dir, 'o') }),
      stateDir: dir,
    })
    expect(r.status).toBe('failed')
    expect(r.report.error?.message).toMatch(/403/)
    expect(existsSync(path.join(r.jobDir, 'state.json'))).toBe(true)
  })

  it('bisects a batch the destination rejects, dead-letters the poison event, delivers the rest', async () => {
    const dir = tempDir()
    const delivered: string[] = []
    let requests = 0
    const destination: Destination = {
      name: 'scripted',
      describe: () => 'scripted destination',
      async send(batch: EventBatch) {
        requests++
        if (batch.lines.some((l) => l.includes('"n":37}')))
          throw new RejectedEventsError('event 37 is invalid')
        delivered.push(...batch.lines)
      },
    }
    const r = await runImport({
      source: mini({}),
      config: {},
      destination,
      stateDir: dir,
      rate: 1e6,
      batchSize: 100,
    })
    expect(r.status).toBe('done')
    expect(delivered.length).toBe(99)
    expect(r.report.events.deadLettered).toBe(1)
    expect(r.report.accounting.ok).toBe(true)
    const rejects = readJsonLines<{ code: string; message: string; record: { properties: { n: number } } }>(
      path.join(r.jobDir, 'rejects.jsonl'),
    )
    expect(rejects).toHaveLength(1)
    expect(rejects[0]!.record.properties.n).toBe(37)
    expect(rejects[0]!.message).toBe('event 37 is invalid')
    expect(requests).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(100)) + 2)
  })

  it('retriable destination errors are retried with the same lines; exhausted retries fail the job resumably', async () => {
    const dir = tempDir()
    let failures = 3
    const seen: string[][] = []
    const destination: Destination = {
      name: 'flaky',
      describe: () => 'flaky destination',
      async send(batch) {
        seen.push([...batch.lines])
        if (failures-- > 0) throw new RetriableError('HTTP 503', { retryAfterMs: 1 })
      },
    }
    const r = await runImport({
      source: mini({}),
      config: {},
      destination,
      stateDir: dir,
      rate: 1e6,
      batchSize: 100,
      backoff: { ...fast, maxAttempts: 10 },
    })
    expect(r.status).toBe('done')
    expect(seen).toHaveLength(4)
    expect(seen[3]).toEqual(seen[0])

    const dir2 = tempDir()
    const down: Destination = {
      name: 'down',
      describe: () => 'down',
      send: async () => {
        throw new RetriableError('HTTP 502')
      },
    }
    const failed = await runImport({
      source: mini({}),
      config: {},
      destination: down,
      stateDir: dir2,
      rate: 1e6,
      backoff: fast,
    })
    expect(failed.status).toBe('failed')
    expect(failed.report.error?.message).toMatch(/kept failing/)
    expect(failed.report.error?.hint).toMatch(/re-run/)
    // A failure that may pass: the CLI exits 75 for it, so a scheduler runs it again later.
    expect(failed.report.error?.transient).toBe(true)
    const ok = await runImport({
      source: mini({}),
      config: {},
      destination: createFileDestination({ path: path.join(dir2, 'o.jsonl') }),
      stateDir: dir2,
      rate: 1e6,
      jobId: failed.jobId,
    })
    expect(ok.status).toBe('done')
    expect(readJsonLines(path.join(dir2, 'o.jsonl')).length).toBe(100)
  })
})

describe('jobs and re-processing rejects', () => {
  it('lists jobs, and re-sends fixed rejects with the uuids the original job would have used', async () => {
    const { listJobs, loadJob } = await import('../src/runtime/jobs.js')
    const { createReprocessSource } = await import('../src/runtime/reprocess.js')
    const dir = tempDir()
    const out = path.join(dir, 'out.jsonl')
    const first = await runImport({
      source: testSource,
      config: base,
      destination: createFileDestination({ path: out }),
      stateDir: dir,
      rate: 1e6,
    })
    const jobs = await listJobs(dir)
    expect(jobs.map((j) => j.jobId)).toEqual([first.jobId])
    expect(jobs[0]!.events.loaded).toBe(first.report.events.loaded)
    const loaded = await loadJob(dir, first.jobId.slice(0, 8))
    expect(loaded.state.jobId).toBe(first.jobId)

    // The user "fixes the mapping": empty names become 'unnamed'. Only missing_event_name rejects are replayed.
    const source = createReprocessSource(testSource, {
      rejectsFile: loaded.paths.rejects,
      identity: loaded.state.identity,
      codes: ['missing_event_name'],
    })
    const fixedOut = path.join(dir, 'fixed.jsonl')
    const again = await runImport({
      source,
      config: base,
      destination: createFileDestination({ path: fixedOut }),
      stateDir: dir,
      rate: 1e6,
      transformHook: (e) => (e.event ? e : { ...e, event: 'unnamed' }),
    })
    expect(again.status).toBe('done')
    const fixed = readJsonLines<{ event: string; uuid: string; properties: { source_id: string } }>(fixedOut)
    expect(fixed.length).toBe(first.report.rejectsByCode.missing_event_name)
    expect(fixed.every((e) => e.event === 'unnamed')).toBe(true)
    const { deterministicUuid } = await import('../src/util/uuid.js')
    for (const e of fixed) expect(e.uuid).toBe(deterministicUuid('test', 'fixture', e.properties.source_id))
  })

  it('a retry of other codes, or of rejects gained since, is a new job; the same retry again is the same job', async () => {
    const { createReprocessSource } = await import('../src/runtime/reprocess.js')
    const dir = tempDir()
    const first = await importFixture(dir)
    const invalidTime = first.report.rejectsByCode.invalid_time ?? 0
    expect(invalidTime).toBeGreaterThan(0)
    const retry = (codes: string[], rejectsDigest: string) =>
      runImport({
        source: createReprocessSource(testSource, {
          rejectsFile: path.join(first.jobDir, 'rejects.jsonl'),
          identity: 'fixture',
          codes,
          rejectsDigest,
        }),
        config: base,
        destination: createFileDestination({ path: path.join(dir, `retry-${codes}.jsonl`) }),
        stateDir: dir,
        rate: 1e6,
        transformHook: (e) => (e.event ? e : { ...e, event: 'unnamed' }),
      })
    const names = await retry(['missing_event_name'], 'd1')
    expect(names.report.events.loaded).toBe(first.report.rejectsByCode.missing_event_name)
    // Other codes: read and transformed again (no mapping mends a missing time, so they are rejected again).
    const times = await retry(['invalid_time'], 'd1')
    expect(times.jobId).not.toBe(names.jobId)
    expect(times.report.records.read).toBe(invalidTime)
    expect(times.report.rejectsByCode.invalid_time).toBe(invalidTime)
    expect((await retry(['missing_event_name'], 'd1')).jobId).toBe(names.jobId)
    expect((await retry(['missing_event_name'], 'd2')).jobId).not.toBe(names.jobId)
  })
})

describe('a user hook that throws', () => {
  it('dead-letters the records it throws on, with its message, and the job goes on', async () => {
    const dir = tempDir()
    const out = path.join(dir, 'out.jsonl')
    const result = await runImport({
      source: testSource,
      config: base,
      destination: createFileDestination({ path: out }),
      stateDir: dir,
      rate: 1e6,
      transformHook: (e) => {
        if (e.distinct_id.endsWith('7')) throw new Error(`no user ending in 7 (${e.distinct_id})`)
        return e
      },
    })
    expect(result.status).toBe('done')
    const thrown = result.report.rejectsByCode.transform_hook_error ?? 0
    expect(thrown).toBeGreaterThan(0)
    const rejects = readJsonLines<{ code: string; message: string }>(
      path.join(result.jobDir, 'rejects.jsonl'),
    )
    const hookRejects = rejects.filter((r) => r.code === 'transform_hook_error')
    expect(hookRejects).toHaveLength(thrown)
    expect(hookRejects[0]?.message).toMatch(/^the --transform hook threw: no user ending in 7 \(\S+7\)$/)
    const loaded = readJsonLines<{ distinct_id: string }>(out)
    expect(loaded.length).toBe(result.report.events.loaded)
    expect(loaded.some((e) => e.distinct_id.endsWith('7'))).toBe(false)
    expect(result.report.accounting.ok).toBe(true)
  })
})

describe('re-processing rejects in their own partitions', () => {
  it('hands the transform the partition each reject was read in, and dead-letters one the job never had', async () => {
    const { createReprocessSource } = await import('../src/runtime/reprocess.js')
    const dir = tempDir()
    const rejectsFile = path.join(dir, 'rejects.jsonl')
    const row = (partition: string) =>
      JSON.stringify({ partition, line: 1, stage: 'transform', code: 'x', record: { n: 1 } })
    writeFileSync(rejectsFile, `${row('day:2')}\n${row('gone')}\n`)
    const seen: unknown[] = []
    const original = {
      ...testSource,
      transform: (_raw: unknown, ctx: { partition: unknown }) => {
        seen.push(ctx.partition)
        return { filtered: true as const, reason: 'seen' }
      },
    } as unknown as AnySource
    const day2 = { key: 'day:2', kind: 'events', params: { zone: 'America/Los_Angeles' } }
    const source = createReprocessSource(original, { rejectsFile, identity: 'i', partitions: [day2] })
    const pages: unknown[] = []
    for await (const page of source.export({} as never)) pages.push(...(page.records ?? []))
    const ctx = {
      partition: { key: 'rejects', params: {} },
      reject: (code: string, message: string) => ({ rejected: true, code, message }),
    } as unknown as TransformContext
    expect(source.transform(pages[0], ctx)).toEqual({ filtered: true, reason: 'seen' })
    expect(seen).toEqual([day2])
    expect(source.transform(pages[1], ctx)).toMatchObject({ rejected: true, code: 'unknown_partition' })
  })
})

describe('environment failures read clearly', () => {
  it('a destination that has never answered and refuses connections fails fast, resumable', async () => {
    const { createServer } = await import('node:net')
    // A port that was free a moment ago: nothing listens there now.
    const server = createServer().listen(0, '127.0.0.1')
    await new Promise((r) => server.once('listening', r))
    const port = (server.address() as { port: number }).port
    await new Promise((r) => server.close(r))
    const dir = tempDir()
    const started = Date.now()
    const r = await runImport({
      source: testSource,
      config: base,
      destination: createPostHogDestination({ host: `http://127.0.0.1:${port}`, apiKey: 'phc_test' }),
      stateDir: dir,
      rate: 1e6,
      backoff: { baseMs: 10, maxMs: 20, maxAttempts: 10 },
    })
    expect(r.status).toBe('failed')
    expect(r.report.error?.message).toBe(`cannot reach PostHog http://127.0.0.1:${port} (ECONNREFUSED)`)
    expect(r.report.error?.hint).toMatch(/re-run the same command/)
    expect(Date.now() - started).toBeLessThan(30_000)
  })

  it('a plan that fails leaves no empty job directory behind, and keeps a state directory it did not create', async () => {
    const failingPlan = (error: Error) =>
      defineSource({
        name: 'unplannable',
        description: 'plan throws',
        config: z.object({}),
        plan: () => {
          throw error
        },
        async *export() {},
        transform: () => [],
      })
    const dir = tempDir()
    const stateDir = path.join(dir, 'state')
    const run = (error: Error) =>
      runImport({
        source: failingPlan(error),
        config: {},
        destination: createFileDestination({ path: path.join(dir, 'o') }),
        stateDir,
      })
    // Neither the job directory nor the state directory above it were there: both go.
    await expect(run(new ConfigError('no such column'))).rejects.toMatchObject({ kind: 'config' })
    expect(existsSync(stateDir)).toBe(false)
    // The state directory was there: it stays (empty), whatever the failure.
    mkdirSync(stateDir)
    await expect(run(new FatalError('HTTP 403'))).rejects.toMatchObject({ kind: 'fatal' })
    expect(readdirSync(stateDir)).toEqual([])
  })

  it('a config error met while exporting fails the job (not left running) and is thrown as it is', async () => {
    const dir = tempDir()
    const source = defineSource({
      name: 'badfile',
      description: 'export finds the input unusable',
      config: z.object({}),
      plan: () => [{ key: 'all', params: {} }],
      // biome-ignore lint/correctness/useYield: throws before its first page
      async *export() {
        throw new ConfigError('obj.json must hold a JSON array', { hint: 'give a file holding [ ... ]' })
      },
      transform: () => [],
    })
    const run = runImport({
      source,
      config: {},
      destination: createFileDestination({ path: path.join(dir, 'o') }),
      stateDir: dir,
    })
    await expect(run).rejects.toMatchObject({ kind: 'config', message: 'obj.json must hold a JSON array' })
    const [jobId] = readdirSync(path.join(dir, 'jobs'))
    const state = JSON.parse(readFileSync(path.join(dir, 'jobs', jobId as string, 'state.json'), 'utf8'))
    expect(state.status).toBe('failed')
    expect(state.error).toEqual({
      message: 'obj.json must hold a JSON array',
      hint: 'give a file holding [ ... ]',
    })
  })

  it('a state directory that cannot be created is a config error naming it', async () => {
    const dir = tempDir()
    const { writeFileSync } = await import('node:fs')
    writeFileSync(path.join(dir, 'a-file'), 'x')
    await expect(
      runImport({
        source: testSource,
        config: base,
        destination: createFileDestination({ path: path.join(dir, 'o') }),
        stateDir: path.join(dir, 'a-file', 'state'),
      }),
    ).rejects.toMatchObject({
      kind: 'config',
      message: expect.stringMatching(/cannot create the job directory .*a-file/),
    })
  })
})

describe('warnings about event timestamps PostHog treats specially', () => {
  // The test source's events fall on 2024-01-01 to 2024-01-04 (UTC), one partition a day.
  const warningsAt = async (now: string) => (await runAndReport(now)).warnings
  const runAndReport = async (now: string) => {
    const dir = tempDir()
    const result = await runImport({
      source: testSource,
      config: { ...base, perDay: 20 },
      destination: createFileDestination({ path: path.join(dir, 'out.jsonl') }),
      stateDir: dir,
      rate: 1e6,
      now: new Date(now),
    })
    expect(result.status).toBe('done')
    return result.report
  }

  it('says nothing about events a few days old', async () => {
    expect(await warningsAt('2024-01-10T00:00:00Z')).toEqual([])
  })

  it('names events newer than 48 hours, and events in the future', async () => {
    const recent = await warningsAt('2024-01-05T12:00:00Z')
    expect(recent.filter((w) => w.includes('newer than 48 hours')).length).toBeGreaterThanOrEqual(1)
    expect(recent.every((w) => !w.includes('2024-01-01'))).toBe(true)
    const ahead = await warningsAt('2023-12-01T00:00:00Z')
    expect(ahead).toHaveLength(4)
    expect(ahead.every((w) => w.includes('in the future'))).toBe(true)
  })

  it('points out events older than the shortest retention once, naming the plans', async () => {
    const old = await warningsAt('2025-06-01T00:00:00Z')
    expect(old).toHaveLength(1)
    expect(old[0]).toMatch(
      /^partition day-000 has \d+ events more than a year old \(from 2024-01-01; said once, for the first partition with any, so later ones may have more\)/,
    )
    expect(old[0]).toContain('Free 1 year, Pay-as-you-go 2, Boost 5, Scale and Enterprise 7')
    // Counted by day: at 2025-01-02T12:00Z only the first day's events are past a year.
    const edge = await warningsAt('2025-01-02T12:00:00Z')
    expect(edge).toHaveLength(1)
    const firstDay = (await runAndReport('2024-01-10T00:00:00Z')).eventsByDay['2024-01-01']?.staged
    expect(edge[0]).toContain(`has ${firstDay} events more than a year old`)
  })
})

describe('a new job over data another job already sent', () => {
  const ranged = defineSource({
    name: 'ranged',
    description: 'a dated range of one project',
    config: z.object({ start: z.string(), end: z.string(), timezone: z.string().default('UTC') }),
    identity: () => 'project-1',
    plan: () => [{ key: 'all', params: {} }],
    async *export() {
      yield { records: [1, 2, 3] }
    },
    transform: (raw: unknown, ctx) => numbered(raw as number, ctx),
    eventShapingConfig: ['timezone'],
  })
  const sink = (project = 'one'): Destination => ({
    name: 'memory',
    describe: () => 'PostHog memory',
    target: () => project,
    async send() {},
  })

  it('warns, naming the job and the settings that differ, only where ranges overlap and events were sent', async () => {
    const dir = tempDir()
    const run = async (
      config: Record<string, string>,
      extra: { checkEarlierJobs?: boolean; mapping?: MappingConfig } = {},
      project = 'one',
    ) => {
      const warnings: string[] = []
      const r = await runImport({
        source: ranged,
        config,
        destination: sink(project),
        stateDir: dir,
        rate: 1e6,
        onProgress: (e) => {
          // Retention warnings aside (the events are from 2024).
          if (e.type === 'warning' && e.message.includes('already sent')) warnings.push(e.message)
        },
        ...extra,
      })
      expect(r.status).toBe('done')
      return { warnings, jobId: r.jobId }
    }
    const january = { start: '2024-01-01', end: '2024-01-10' }
    const first = await run(january)
    expect(first.warnings).toEqual([])
    // A longer range with the same settings: the same uuids, the same events.
    expect((await run({ start: '2024-01-01', end: '2024-01-20' })).warnings).toEqual([])
    // The same data set, one flag corrected: a new job, which would send the range a second time.
    const second = await run({ ...january, timezone: 'America/Los_Angeles' })
    // One warning for each earlier job in UTC (the first, and the longer range).
    expect(second.warnings).toHaveLength(2)
    expect(second.warnings.find((w) => w.includes(first.jobId))).toMatch(
      new RegExp(
        `^job ${first.jobId} already sent 3 events of this data set to PostHog memory, with other settings \\(timezone UTC → America/Los_Angeles\\)`,
      ),
    )
    // The same command again resumes its own job: nothing to warn about.
    expect((await run({ ...january, timezone: 'America/Los_Angeles' })).warnings).toEqual([])
    // Another month shares no event with either.
    expect(
      (await run({ start: '2024-02-01', end: '2024-02-10', timezone: 'Europe/Berlin' })).warnings,
    ).toEqual([])
    // A rejects retry means to send what the first job did not.
    const retry = await run({ ...january, timezone: 'Asia/Tokyo' }, { checkEarlierJobs: false })
    expect(retry.warnings).toEqual([])
    // Another project: no copy there.
    expect((await run({ ...january, timezone: 'Europe/Paris' }, {}, 'two')).warnings).toEqual([])
    // Another mapping may rename events.
    const renamed = MappingConfig.parse({ events: { rename: { e: 'E' } } })
    const mapped = await run({ start: '2024-01-01', end: '2024-01-05' }, { mapping: renamed })
    expect(mapped.warnings.some((w) => w.includes('with other settings (the mapping file)'))).toBe(true)
  })
})

describe('records an export leaves out by request', () => {
  it('are counted as read and filtered, by reason, so the accounting holds', async () => {
    const dir = tempDir()
    const source = defineSource({
      name: 'picky',
      description: 'skips some records while reading',
      config: z.object({}),
      plan: () => [{ key: 'all', params: {} }],
      async *export() {
        yield { records: [1, 2, 3, 4, 5], skipped: { wrong_type: 3 } }
        yield { records: [6, 7], skipped: { wrong_type: 1, too_old: 2 } }
      },
      transform: (raw: unknown, ctx) => numbered(raw as number, ctx),
    })
    const out = path.join(dir, 'o.jsonl')
    const r = await runImport({
      source,
      config: {},
      destination: createFileDestination({ path: out }),
      stateDir: dir,
    })
    expect(r.report.records).toEqual({ read: 13, staged: 7, filtered: 6, rejected: 0 })
    expect(r.report.filteredByReason).toEqual({ wrong_type: 4, too_old: 2 })
    expect(r.report.accounting.ok).toBe(true)
    expect(r.report.perPartition[0]).toMatchObject({ records: 13, filtered: 6 })
    expect(readJsonLines(out)).toHaveLength(7)
  })
})

describe('a plan the user declined', () => {
  it('is not called a resume when it runs later; a run that had started is', async () => {
    const dir = tempDir()
    const resumedFlags: boolean[] = []
    const run = (confirm: boolean) =>
      runImport({
        source: testSource,
        config: base,
        destination: createFileDestination({ path: path.join(dir, 'o.jsonl') }),
        stateDir: dir,
        rate: 1e6,
        confirm: async () => confirm,
        onProgress: (e) => {
          if (e.type === 'plan') resumedFlags.push(e.resumed)
        },
      })
    expect((await run(false)).status).toBe('planned')
    expect((await run(true)).status).toBe('done')
    expect((await run(true)).status).toBe('done')
    expect(resumedFlags).toEqual([false, false, true])
  })
})

describe("an API's request budget", () => {
  it('is shared by every job of one data set in the state directory, as the API counts it', async () => {
    const server = createServer((_req, res) => res.end('[1]'))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
    try {
      const limited = defineSource({
        name: 'limited',
        description: 'one request per partition, 1 a second, 100 an hour',
        config: z.object({ flavour: z.string() }),
        identity: () => 'project-9',
        limits: { requestsPerSecond: 1, requestsPerHour: 100 },
        plan: () => [{ key: 'all', params: {} }],
        async *export(ctx) {
          yield { records: await ctx.http.get(url).json<number[]>() }
        },
        transform: (raw: unknown, ctx) => numbered(raw as number, ctx),
      })
      const dir = tempDir()
      const run = (flavour: string) =>
        runImport({
          source: limited,
          config: { flavour },
          destination: createFileDestination({ path: path.join(dir, `${flavour}.jsonl`) }),
          stateDir: dir,
        })
      // Two jobs (another setting each), one project: the second's request waits for the first's second.
      expect((await run('a')).status).toBe('done')
      expect((await run('b')).status).toBe('done')
      const budgets = readdirSync(path.join(dir, 'budgets'))
      expect(budgets).toHaveLength(1)
      const { spent } = JSON.parse(readFileSync(path.join(dir, 'budgets', budgets[0] as string), 'utf8'))
      expect(spent).toHaveLength(2)
      expect(spent[1] - spent[0]).toBeGreaterThanOrEqual(1000)
    } finally {
      server.close()
    }
  })
})

/** A URL on 127.0.0.1 where nothing listens: connections to it are refused. */
async function refusingUrl(): Promise<string> {
  const closed = createServer()
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
  const { port } = closed.address() as AddressInfo
  await new Promise<void>((resolve) => closed.close(() => resolve()))
  return `http://127.0.0.1:${port}/`
}

/** Runs a source with an empty config into a file, in a fresh state directory, retrying fast. */
function runFast(source: AnySource, maxAttempts: number) {
  const dir = tempDir()
  return runImport({
    source,
    config: {},
    destination: createFileDestination({ path: path.join(dir, 'o') }),
    stateDir: dir,
    backoff: { baseMs: 1, maxMs: 5, maxAttempts },
  })
}

describe('a source API that cannot be reached', () => {
  it('fails the job after a few tries when it never answered in the run, naming the cause, resumable', async () => {
    const down = await refusingUrl()
    let attempts = 0
    const source = defineSource({
      name: 'faraway',
      description: 'an API at a wrong host',
      config: z.object({}),
      plan: () => [1, 2, 3].map((n) => ({ key: `day-${n}`, params: {} })),
      async *export(ctx) {
        attempts++
        yield { records: await ctx.http.get(down).json<number[]>() }
      },
      transform: (raw: unknown, ctx) => numbered(raw as number, ctx),
    })
    const r = await runFast(source, 10)
    expect(r.status).toBe('failed')
    expect(r.report.error?.message).toMatch(/^cannot reach the faraway API: .*ECONNREFUSED/)
    expect(r.report.error?.hint).toMatch(/check the host \(--base-url, or the region\)/)
    // Three tries of the first partition, not ten of each.
    expect(attempts).toBe(3)
  })
})

describe('the time estimate', () => {
  it('is given for what is left to export, and not at all when nothing is', async () => {
    const source = defineSource({
      name: 'estimated',
      description: 'two partitions, a minute each',
      config: z.object({}),
      plan: () => [1, 2].map((n) => ({ key: `p${n}`, params: {} })),
      async *export() {
        yield { records: [1] }
      },
      transform: (raw: unknown, ctx) => numbered(raw as number, ctx),
      estimate: (partitions) => ({ seconds: 60 * partitions.length, note: `${partitions.length} queries` }),
    })
    const dir = tempDir()
    const estimates: unknown[] = []
    const run = () =>
      runImport({
        source,
        config: {},
        destination: createFileDestination({ path: path.join(dir, 'o.jsonl') }),
        stateDir: dir,
        onProgress: (e) => {
          if (e.type === 'plan') estimates.push(e.estimate)
        },
      })
    await run()
    await run()
    expect(estimates).toEqual([{ seconds: 120, note: '2 queries' }, undefined])
  })
})

describe('two destinations that describe alike', () => {
  it('are two jobs when their targets differ (two PostHog projects on one host): the second sends everything', async () => {
    const dir = tempDir()
    const sent = new Map<string, number>()
    const project = (key: string): Destination => ({
      name: 'posthog',
      describe: () => 'PostHog https://us.i.posthog.com',
      target: () => `project-key:${key}`,
      async send(batch) {
        sent.set(key, (sent.get(key) ?? 0) + batch.lines.length)
      },
    })
    const run = (key: string) =>
      runImport({ source: testSource, config: base, destination: project(key), stateDir: dir, rate: 1e6 })
    const staging = await run('staging')
    const prod = await run('prod')
    expect(prod.jobId).not.toBe(staging.jobId)
    expect(sent.get('prod')).toBe(sent.get('staging'))
    expect(sent.get('prod')).toBe(expectedValidIds(base).length)
    // The PostHog destination's target is a digest of the key, never the key.
    const target = createPostHogDestination({ host: 'us', apiKey: 'phc_secret_project_key' }).target?.()
    expect(target).toMatch(/^project-key:[0-9a-f]{16}$/)
    expect(JSON.stringify(readFileSync(path.join(prod.jobDir, 'state.json'), 'utf8'))).not.toContain('phc_')
  })
})

describe('a file-like input that changed after its job', () => {
  it('is refused by name instead of resuming as done; --fresh imports it as it is now', async () => {
    let rows = [1, 2, 3]
    const source = defineSource({
      name: 'growing',
      description: 'a local file that grows',
      config: z.object({}),
      // As a file connector's plan: its params carry the file's identity (here, its length).
      plan: () => [{ key: 'events.csv', params: { identity: rows.length } }],
      async *export() {
        yield { records: rows }
      },
      transform: (raw: unknown, ctx) => numbered(raw as number, ctx),
    })
    const dir = tempDir()
    const out = path.join(dir, 'o.jsonl')
    const run = (fresh = false) =>
      runImport({
        source,
        config: {},
        destination: createFileDestination({ path: out }),
        stateDir: dir,
        fresh,
      })
    const first = await run()
    expect(first.report.events.loaded).toBe(3)
    rows = [1, 2, 3, 4, 5]
    await expect(run()).rejects.toMatchObject({
      kind: 'config',
      message: `the input changed since job ${first.jobId} read it (changed: events.csv)`,
      hint: expect.stringMatching(/^run the same command with --fresh/),
    })
    // The finished job is left as it was.
    const state = JSON.parse(readFileSync(path.join(first.jobDir, 'state.json'), 'utf8'))
    expect(state.status).toBe('done')
    const again = await run(true)
    expect(again.report.events.loaded).toBe(5)
  })
})

describe('a source API that answered, then cannot be reached', () => {
  it('is retried as a passing outage (the full backoff), not failed as a wrong host', async () => {
    const server = createServer((_req, res) => res.end('[]'))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const up = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
    const down = await refusingUrl()
    let downAttempts = 0
    try {
      const source = defineSource({
        name: 'flaky-api',
        description: 'answers for the first day (with no data), then goes away',
        config: z.object({}),
        plan: () => [1, 2].map((n) => ({ key: `day-${n}`, params: { n } })),
        async *export(ctx) {
          const { n } = ctx.partition.params as { n: number }
          if (n === 2) downAttempts++
          // An answer with no records: no page is yielded, but the host did answer.
          const records = await ctx.http.get(n === 1 ? up : down).json<number[]>()
          if (records.length > 0) yield { records }
        },
        transform: (raw: unknown, ctx) => numbered(raw as number, ctx),
      })
      const r = await runFast(source, 5)
      expect(r.status).toBe('incomplete')
      expect(downAttempts).toBe(5)
    } finally {
      server.close()
    }
  })
})

describe('the --transform module of a job', () => {
  it('is part of the job id; a job resumed by id refuses a module that changed since it started', async () => {
    const dir = tempDir()
    const run = (transformDigest: string | undefined, extra: { jobId?: string; signal?: AbortSignal } = {}) =>
      importFixture(dir, {
        ...(transformDigest ? { transformDigest, transformHook: (e) => e } : {}),
        ...extra,
      })
    const abort = new AbortController()
    const stopped = await importFixture(dir, {
      transformDigest: 'aaaa',
      transformHook: (e) => e,
      signal: abort.signal,
      onProgress: (e) => {
        if (e.type === 'partition' && e.stage === 'export' && e.status === 'done') abort.abort()
      },
    })
    expect(stopped.status).toBe('interrupted')
    // Another module (or none) is another job, not this one resumed.
    for (const other of ['bbbb', undefined]) {
      const fresh = await run(other)
      expect(fresh.jobId).not.toBe(stopped.jobId)
      expect(fresh.status).toBe('done')
    }
    const changed = await run('bbbb', { jobId: stopped.jobId }).catch((error: Error) => error)
    const message = changed instanceof Error ? changed.message : changed.report.error?.message
    expect(message).toBe(
      `the --transform module of job ${stopped.jobId} changed since it started (or was added or removed)`,
    )
    const resumed = await run('aaaa', { jobId: stopped.jobId })
    expect(resumed.status).toBe('done')
  })
})

describe('the disk a job holds', () => {
  it("removes a partition's staged export and events once it is loaded; a re-run of the done job is still done", async () => {
    const dir = tempDir()
    const out = path.join(dir, 'out.jsonl')
    const run = () =>
      runImport({
        source: testSource,
        config: base,
        destination: createFileDestination({ path: out }),
        stateDir: dir,
        rate: 1e6,
      })
    const result = await run()
    expect(result.status).toBe('done')
    expect(readdirSync(path.join(result.jobDir, 'raw'))).toEqual([])
    expect(readdirSync(path.join(result.jobDir, 'events'))).toEqual([])
    // The dead letters stay, for `rejects` and `rejects --retry`.
    expect(readJsonLines(path.join(result.jobDir, 'rejects.jsonl')).length).toBe(
      result.report.records.rejected,
    )
    const again = await run()
    expect(again.jobId).toBe(result.jobId)
    expect(again.status).toBe('done')
    expect(readJsonLines(out).length).toBe(result.report.events.loaded)
  })

  it('removes the files of a partition with no event to send, and those a killed run left behind', async () => {
    const dir = tempDir()
    // Every record of the second partition is rejected: it is done at load without a batch.
    const source = {
      ...testSource,
      transform: (raw: unknown, ctx: TransformContext) =>
        (raw as { value: number }).value >= base.perDay
          ? ctx.reject('nope', 'rejected')
          : testSource.transform(raw, ctx),
    }
    const run = (keepStaged: boolean) =>
      runImport({
        source: source as typeof testSource,
        config: { ...base, days: 2 },
        destination: createFileDestination({ path: path.join(dir, 'out.jsonl') }),
        stateDir: dir,
        rate: 1e6,
        keepStaged,
      })
    const kept = await run(true)
    expect(kept.status).toBe('done')
    expect(readdirSync(path.join(kept.jobDir, 'raw'))).toHaveLength(2)
    // A run that finds loaded partitions' files (kept, or left by a kill before their removal) removes them.
    const again = await run(false)
    expect(again.jobId).toBe(kept.jobId)
    expect(readdirSync(path.join(kept.jobDir, 'raw'))).toEqual([])
    expect(readdirSync(path.join(kept.jobDir, 'events'))).toEqual([])
    expect(again.report.perPartition.map((p) => p.events)).toEqual([kept.report.perPartition[0]?.events, 0])
  })

  it('exports the next partition only once the staged data not yet loaded is under maxStagedBytes', async () => {
    const dir = tempDir()
    const order: string[] = []
    const result = await importFixture(dir, {
      maxStagedBytes: 1,
      onProgress: (e) => {
        if (e.type === 'partition' && e.status !== 'split') order.push(`${e.stage} ${e.status} ${e.key}`)
      },
    })
    expect(result.status).toBe('done')
    const keys = result.report.perPartition.map((p) => p.key)
    // One partition on disk at a time: each export starts after the one before it is loaded.
    for (let i = 1; i < keys.length; i++)
      expect(order.indexOf(`export started ${keys[i]}`)).toBeGreaterThan(
        order.indexOf(`load done ${keys[i - 1]}`),
      )
    // Without the bound the export runs ahead (this fixture's partitions export in no time).
    const ahead: string[] = []
    await runImport({
      source: testSource,
      config: base,
      destination: createFileDestination({ path: path.join(dir, 'out2.jsonl') }),
      stateDir: path.join(dir, 'unbounded'),
      rate: 1e6,
      onProgress: (e) => {
        if (e.type === 'partition' && e.status !== 'split') ahead.push(`${e.stage} ${e.status} ${e.key}`)
      },
    })
    expect(ahead.indexOf(`export started ${keys[1]}`)).toBeLessThan(ahead.indexOf(`load done ${keys[0]}`))
  })
})

describe('jobs', () => {
  it('shows a job saved as running whose run is gone (killed) as interrupted, and one whose run goes on as running', async () => {
    const { listJobs } = await import('../src/runtime/jobs.js')
    const { hostname } = await import('node:os')
    const dir = tempDir()
    const result = await importFixture(dir)
    const stateFile = path.join(result.jobDir, 'state.json')
    // As a kill -9 mid-run leaves it.
    writeFileSync(
      stateFile,
      JSON.stringify({ ...JSON.parse(readFileSync(stateFile, 'utf8')), status: 'running' }),
    )
    expect((await listJobs(dir))[0]?.status).toBe('interrupted')
    writeFileSync(path.join(result.jobDir, 'lock'), `${process.ppid} 0123456789abcdef ${hostname()}`)
    expect((await listJobs(dir))[0]?.status).toBe('running')
  })
})

describe('a rejects retry resumed after its staged events file was lost', () => {
  it("rebuilds it with the original job's claims, as its first transform had them", async () => {
    const { createReprocessSource } = await import('../src/runtime/reprocess.js')
    const dir = tempDir()
    // User u is identified with its first event; records 1 to 4 are over 1 MB, rejected until a mapping
    // drops the blob.
    const source = {
      name: 'claims',
      description: 'scripted',
      config: z.object({}),
      identity: () => 'claims',
      plan: () => [{ key: 'p', params: {} }],
      async *export() {
        yield {
          records: [0, 1, 2, 3, 4].map((n) => ({ n, blob: n === 0 ? '' : 'x'.repeat(1_100_000) })),
        }
      },
      transform: (raw: unknown, ctx: TransformContext) => {
        const { n, blob } = raw as { n: number; blob: string }
        const event = { ...numbered(n, ctx), properties: { n, blob } }
        return ctx.once('u') ? [{ ...event, event: '$identify', uuid: ctx.uuid('id', n) }, event] : event
      },
    }
    const first = await runImport({
      source,
      config: {},
      destination: createFileDestination({ path: path.join(dir, 'first.jsonl') }),
      stateDir: dir,
      rate: 1e6,
    })
    expect(first.report.rejectsByCode).toEqual({ event_too_large: 4 })
    const retrySource = createReprocessSource(source, {
      rejectsFile: path.join(first.jobDir, 'rejects.jsonl'),
      identity: 'claims',
    })
    const retry = (extra: { jobId?: string; signal?: AbortSignal; destination?: Destination }) =>
      runImport({
        source: retrySource,
        config: {},
        destination: extra.destination ?? createFileDestination({ path: path.join(dir, 'retry.jsonl') }),
        stateDir: dir,
        rate: 1e6,
        batchSize: 1,
        concurrency: 1,
        keepStaged: true,
        mapping: MappingConfig.parse({ properties: { drop: ['blob'] } }),
        claimsFromJob: first.jobId,
        checkEarlierJobs: false,
        ...(extra.jobId ? { jobId: extra.jobId } : {}),
        ...(extra.signal ? { signal: extra.signal } : {}),
      })
    // Stopped after a batch or two of the retry's four events; then its events file is lost.
    const abort = new AbortController()
    const file = createFileDestination({ path: path.join(dir, 'retry.jsonl') })
    const stopped = await retry({
      signal: abort.signal,
      destination: {
        ...file,
        describe: () => file.describe(),
        send: async (batch, opts) => {
          await file.send(batch, opts)
          abort.abort()
        },
      },
    })
    expect(stopped.status).toBe('interrupted')
    const eventsDir = path.join(stopped.jobDir, 'events')
    for (const f of readdirSync(eventsDir)) rmSync(path.join(eventsDir, f))
    const resumed = await retry({ jobId: stopped.jobId })
    // Without those claims the rebuild gave an $identify the first transform did not, and was refused.
    expect(resumed.report.warnings.join('\n')).toMatch(/missing; rebuilding it from the staged export/)
    expect(resumed.report.error?.message).toBeUndefined()
    expect(resumed.status).toBe('done')
    const sent = readJsonLines<{ event: string }>(path.join(dir, 'retry.jsonl')).map((e) => e.event)
    expect(sent).toEqual(['e', 'e', 'e', 'e'])
  })
})

describe("another job's claims", () => {
  it('are those of its transformed partitions, or of the ones named (a retry takes those done when it was asked for)', async () => {
    const { loadClaimsOf } = await import('../src/runtime/staged-check.js')
    const { SeenSet } = await import('../src/runtime/seen-set.js')
    const dir = tempDir()
    const source = {
      name: 'claimer',
      description: 'scripted',
      config: z.object({}),
      plan: () => ['a', 'b'].map((key) => ({ key, order: key, params: { key } })),
      async *export({ partition }: { partition: { params: { key: string } } }) {
        yield { records: [{ key: partition.params.key }] }
      },
      transform: (raw: unknown, ctx: TransformContext) => {
        const { key } = raw as { key: string }
        ctx.once(`claim-${key}`)
        return numbered(key === 'a' ? 1 : 2, ctx)
      },
    }
    const job = await runImport({
      source: source as never,
      config: {},
      destination: createFileDestination({ path: path.join(dir, 'out.jsonl') }),
      stateDir: dir,
      rate: 1e6,
    })
    const all = new SeenSet()
    await loadClaimsOf(all, job.jobDir)
    expect([all.has(SeenSet.hash('claim-a')), all.has(SeenSet.hash('claim-b'))]).toEqual([true, true])
    const some = new SeenSet()
    await loadClaimsOf(some, job.jobDir, ['a'])
    expect([some.has(SeenSet.hash('claim-a')), some.has(SeenSet.hash('claim-b'))]).toEqual([true, false])
    // A job that is gone has none; a state that cannot be read is an error, not "no claims".
    await loadClaimsOf(new SeenSet(), path.join(dir, 'jobs', 'gone'))
    writeFileSync(path.join(job.jobDir, 'state.json'), '{ broken')
    await expect(loadClaimsOf(new SeenSet(), job.jobDir)).rejects.toThrow()
  })
})
