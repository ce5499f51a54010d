// The bound on staged data not yet loaded (maxStagedBytes) makes the export wait for the load: these are
// the two ways that wait could last for ever, found in review.
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import type { Destination } from '../src/contracts/destination.js'
import { RetriableError } from '../src/contracts/errors.js'
import { createFileDestination } from '../src/destinations/file.js'
import { defineSource, type TransformContext } from '../src/index.js'
import { runImport } from '../src/runtime/run-import.js'
import { toIsoTimestamp } from '../src/util/time.js'
import { readJsonLines, tempDir } from './helpers.js'

const fast = { baseMs: 1, maxMs: 5, maxAttempts: 2 }
const event = (n: number, ctx: TransformContext) => ({
  event: 'e',
  distinct_id: `u${n}`,
  uuid: ctx.uuid(n),
  timestamp: toIsoTimestamp(Date.UTC(2024, 0, 1) + n * 1000),
  properties: { n },
})

/** Four partitions of 50 records; `a` fails to export while `failA` says so. */
function fourPartitions(state: { failA: boolean }) {
  return defineSource({
    name: 'four',
    description: 'scripted',
    config: z.object({}),
    plan: () => ['a', 'b', 'c', 'd'].map((k) => ({ key: k, order: k, params: { k } })),
    async *export({ partition }) {
      const k = (partition.params as { k: string }).k
      if (k === 'a' && state.failA) throw new RetriableError('HTTP 503')
      const base = k.charCodeAt(0) * 1000
      yield { records: Array.from({ length: 50 }, (_, i) => ({ n: base + i })) }
    },
    transform: (raw: unknown, ctx) => event((raw as { n: number }).n, ctx),
  })
}

const down: Destination = {
  name: 'down',
  describe: () => 'down',
  send: async () => {
    throw new RetriableError('HTTP 502')
  },
}

/** A guard: the run must end by itself well before this (it hung for ever before the fixes). */
function guard() {
  const abort = new AbortController()
  const timer = setTimeout(() => abort.abort(new Error('still running after 15 s')), 15_000)
  return { signal: abort.signal, done: () => clearTimeout(timer) }
}

describe('the export waiting for the load to free disk', () => {
  it('ends when the destination keeps failing, instead of both stages waiting on each other', async () => {
    const g = guard()
    const result = await runImport({
      source: fourPartitions({ failA: false }),
      config: {},
      destination: down,
      stateDir: tempDir(),
      rate: 1e6,
      backoff: fast,
      maxStagedBytes: 1,
      signal: g.signal,
    })
    g.done()
    expect(g.signal.aborted).toBe(false)
    expect(result.status).toBe('failed')
    expect(result.report.error?.message).toMatch(/kept failing/)
  })

  it('resumes a job whose first partition failed to export while later ones were staged', async () => {
    const failing = { failA: true }
    const dir = tempDir()
    const first = await runImport({
      source: fourPartitions(failing),
      config: {},
      destination: down,
      stateDir: dir,
      rate: 1e6,
      backoff: fast,
    })
    expect(first.status).toBe('failed')
    failing.failA = false
    const g = guard()
    const out = path.join(dir, 'out.jsonl')
    const second = await runImport({
      source: fourPartitions(failing),
      config: {},
      destination: createFileDestination({ path: out }),
      stateDir: dir,
      rate: 1e6,
      backoff: fast,
      maxStagedBytes: 1,
      jobId: first.jobId,
      signal: g.signal,
    })
    g.done()
    expect(g.signal.aborted).toBe(false)
    expect(second.status).toBe('done')
    expect(readJsonLines(out)).toHaveLength(200)
  })
})
