import { readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Destination } from '../src/contracts/destination.js'
import { createFileDestination } from '../src/destinations/file.js'
import { runImport } from '../src/runtime/run-import.js'
import { JobPaths, type JobState, readLoadCheckpoint, readState } from '../src/runtime/state.js'
// @ts-expect-error plain ESM fixture shared with child processes
import { expectedValidIds, testSource } from './fixtures/test-source.mjs'
import { readJsonLines, tempDir } from './helpers.js'

const config = { days: 4, perDay: 500, token: 'tok-SECRET-1234', pageSize: 100 }

/**
 * Stages every partition, then loads until `sends` batches are acknowledged and stops: the first
 * partition partly sent, the others staged and waiting.
 */
async function interruptedJob(dir: string, out: string) {
  const controller = new AbortController()
  let transformed = 0
  let allTransformed: () => void = () => {}
  const staged = new Promise<void>((resolve) => {
    allTransformed = resolve
  })
  const file = createFileDestination({ path: out })
  let sends = 0
  const destination: Destination = {
    ...file,
    describe: () => file.describe(),
    send: async (batch, opts) => {
      await staged
      await file.send(batch, opts)
      if (++sends === 2) controller.abort()
    },
  }
  const first = await runImport({
    source: testSource,
    config,
    destination,
    stateDir: dir,
    rate: 1e6,
    batchSize: 200,
    concurrency: 1,
    signal: controller.signal,
    onProgress: (e) => {
      if (e.type === 'partition' && e.stage === 'transform' && e.status === 'done' && ++transformed === 4)
        allTransformed()
    },
  })
  expect(first.status).toBe('interrupted')
  const paths = new JobPaths(first.jobDir)
  const state = (await readState(paths)) as JobState
  const [p1, p2, p3, p4] = state.partitions as [JobState['partitions'][number], ...JobState['partitions']]
  expect((await readLoadCheckpoint(paths)).lines[p1.key]).toBe(400)
  expect(state.partitions.every((p) => p.transform.status === 'done')).toBe(true)
  return { paths, p1, p2: p2!, p3: p3!, p4: p4! }
}

// The staged files are kept, so the tests can compare them with what was staged before.
const resume = (dir: string, out: string) =>
  runImport({
    source: testSource,
    config,
    destination: createFileDestination({ path: out }),
    stateDir: dir,
    rate: 1e6,
    keepStaged: true,
  })

describe('a resumed job checks its staged files before sending from them', () => {
  it('stages again what was deleted or truncated, rebuilding a partly sent file byte for byte', async () => {
    const dir = tempDir()
    const out = path.join(dir, 'out.jsonl')
    const { paths, p1, p2, p3 } = await interruptedJob(dir, out)
    const p1Events = readFileSync(paths.events(p1))
    rmSync(paths.events(p1)) // partly sent: rebuilt from its staged export
    truncateSync(paths.events(p2), 1000) // not sent yet: transformed again
    rmSync(paths.events(p3)) // not sent yet, export lost too: exported again
    rmSync(paths.raw(p3))

    const second = await resume(dir, out)

    expect(second.status).toBe('done')
    expect(readFileSync(paths.events(p1)).equals(p1Events)).toBe(true)
    expect(second.report.warnings.join('\n')).toMatch(
      /partition .* is missing; rebuilding it from the staged export/,
    )
    expect(second.report.warnings.join('\n')).toMatch(/1000 bytes, not the \d+ written; transforming/)
    expect(second.report.warnings.join('\n')).toMatch(/damaged too; exporting it again/)
    const ids = readJsonLines<{ properties: { source_id: string } }>(out).map((e) => e.properties.source_id)
    expect(ids.length).toBe(new Set(ids).size)
    expect([...ids].sort()).toEqual([...(expectedValidIds(config) as string[])].sort())
    expect(second.report.events.loaded).toBe(ids.length)
  })

  it('refuses, saying what to do, when a partly sent file cannot be rebuilt', async () => {
    const dir = tempDir()
    const out = path.join(dir, 'out.jsonl')
    const { paths, p1 } = await interruptedJob(dir, out)
    const sentBefore = readJsonLines(out).length
    rmSync(paths.events(p1))
    rmSync(paths.raw(p1))

    const second = await resume(dir, out)

    expect(second.status).toBe('failed')
    expect(second.report.error?.message).toContain(paths.events(p1))
    expect(second.report.error?.message).toContain('400 of its events were already sent')
    expect(second.report.error?.hint).toMatch(/--fresh/)
    expect(readJsonLines(out).length).toBe(sentBefore)
  })

  it('refuses a rebuild that would not give the events partly sent (a different transform)', async () => {
    const dir = tempDir()
    const out = path.join(dir, 'out.jsonl')
    const { paths, p1 } = await interruptedJob(dir, out)
    const sentBefore = readJsonLines(out).length
    rmSync(paths.events(p1))

    const second = await runImport({
      source: testSource,
      config,
      destination: createFileDestination({ path: out }),
      stateDir: dir,
      rate: 1e6,
      transformHook: (e) => ({ ...e, properties: { ...e.properties, changed: true } }),
    })

    expect(second.status).toBe('failed')
    expect(second.report.error?.message).toMatch(/gave different events than the ones partly sent/)
    expect(readJsonLines(out).length).toBe(sentBefore)
  })

  it('a file that changed at the same size is caught by its count of events, before the partition is done', async () => {
    const dir = tempDir()
    const out = path.join(dir, 'out.jsonl')
    const { paths, p2 } = await interruptedJob(dir, out)
    // Two lines joined into one: the size still matches, only the count of events can tell.
    const original = readFileSync(paths.events(p2))
    const bytes = Buffer.from(original)
    bytes[bytes.indexOf(0x0a)] = 0x20
    writeFileSync(paths.events(p2), bytes)

    const second = await resume(dir, out)

    expect(second.status).toBe('failed')
    expect(second.report.error?.message).toContain(paths.events(p2))
    const staged = p2.transform.events
    expect(second.report.error?.message).toContain(`held ${staged - 1} events, not the ${staged} staged`)
    const state = (await readState(paths)) as JobState
    expect(state.partitions.find((p) => p.key === p2.key)?.load.status).toBe('pending')

    // As the hint says, the same command again stages that file anew and finishes the job.
    const third = await resume(dir, out)
    expect(third.status).toBe('done')
    expect(readFileSync(paths.events(p2)).equals(original)).toBe(true)
  })
})
