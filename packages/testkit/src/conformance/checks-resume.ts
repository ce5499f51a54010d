import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { canonicalJson, type ExportPage, type JsonValue } from '@ph-import/core'
import { samplePlan } from './checks-data.js'
import { countBy, describeRun, importOnce, interruptingSource } from './harness.js'
import { CheckSkipped, type ConformanceCheck, ensure, fail } from './types.js'

export const resumeAfterCrash: ConformanceCheck = {
  name: 'resume_after_crash',
  description:
    'a run stopped mid-export and then resumed loads every event of a clean run, with bounded duplicates',
  async run(env) {
    const { config } = await env.setup()
    const clean = await importOnce({ env, config, name: 'clean' })
    ensure(clean.result.status === 'done', `clean run: ${describeRun(clean)}`)
    ensure(clean.events.length > 0, 'the clean run loaded no events: give the fake data')
    // Each run stops after that many pages: mid-partition first (cursor resume), then further along.
    const interruptions = env.options.interruptAfterPages ?? [1, 4]
    let before = 0
    for (const pages of interruptions) {
      const abort = new AbortController()
      const crashed = await importOnce({
        env,
        config,
        name: 'crashed',
        source: interruptingSource(env.source, pages, abort),
        signal: abort.signal,
      })
      if (crashed.result.status === 'done') break
      ensure(
        crashed.result.status === 'interrupted',
        `the run aborted after ${pages} page(s) ended as ${crashed.result.status}, not interrupted: an export must stop when ctx.signal aborts`,
      )
      before = crashed.events.length
    }
    const resumed = await importOnce({ env, config, name: 'crashed' })
    ensure(resumed.result.status === 'done', `resumed run: ${describeRun(resumed)}`)
    const expected = new Set(clean.events.map((e) => e.uuid))
    const got = new Set(resumed.events.map((e) => e.uuid))
    const missing = [...expected].filter((u) => !got.has(u))
    const extra = [...got].filter((u) => !expected.has(u))
    // Every uuid missing and as many extra: the uuids change between runs, not the records.
    if (missing.length > 0 && missing.length === extra.length && missing.length === expected.size)
      fail(
        `none of the ${expected.size} uuids of a clean run arrived, and as many others did: uuids differ from run to run (derive them with ctx.uuid(...) from the record, see uuids_are_stable)`,
      )
    if (missing.length > 0)
      fail(
        `${missing.length} of ${expected.size} events never arrived after the resume (a gap): the export must continue from ctx.cursor, not skip`,
      )
    if (extra.length > 0) fail(`${extra.length} events arrived that a clean run does not produce`)
    const duplicates = resumed.events.length - got.size
    const bound = env.options.maxResumeDuplicates ?? 100
    ensure(duplicates <= bound, `${duplicates} duplicate events after the resume (bound ${bound})`)
    return `${got.size} events, ${duplicates} duplicates after ${interruptions.length} interrupts (${before} loaded before the last)`
  },
}

/** Generous: this proves the run ends on abort at all, not how fast (speed belongs in benchmarks). */
const ABORT_BOUND_MS = 10_000

export const abortStopsPromptly: ConformanceCheck = {
  name: 'abort_stops_promptly',
  description:
    'aborting the signal mid-export ends the run as interrupted without waiting for requests to finish',
  async run(env) {
    const { fake, config } = await env.setup()
    const within = env.options.abortWithinMs ?? ABORT_BOUND_MS
    const abort = new AbortController()
    let abortedAt: number | undefined
    const stop = () => {
      abortedAt ??= Date.now()
      abort.abort(new Error('conformance: user abort'))
    }
    const faults = fake?.faults
    const latency = faults?.latency !== undefined
    const run = importOnce({
      env,
      config,
      name: 'aborted',
      signal: abort.signal,
      onProgress: (e) => {
        // A slow server keeps a request in flight when the abort lands: the connector must pass ctx.signal to http.
        if (e.type === 'plan') faults?.latency?.(60_000)
        if (
          e.type === 'partition' &&
          e.stage === 'export' &&
          e.status === 'started' &&
          abortedAt === undefined
        )
          setTimeout(stop, latency ? 100 : 0)
      },
    })
    let timer: NodeJS.Timeout | undefined
    const bound = new Promise<'timeout'>((resolve) => {
      timer = setInterval(() => {
        if (abortedAt !== undefined && Date.now() - abortedAt > within) resolve('timeout')
      }, 50)
    })
    // The run may still settle after a timeout (when the fake closes); that must not surface as unhandled.
    run.catch(() => {})
    const outcome = await Promise.race([run, bound]).finally(() => clearInterval(timer))
    if (outcome === 'timeout') {
      faults?.clear()
      fail(
        `the run was still going ${within / 1000} s after the abort: pass ctx.signal to every request and stop iterating when it aborts`,
      )
    }
    ensure(abortedAt !== undefined, `the run finished before any export started (${describeRun(outcome)})`)
    ensure(
      outcome.result.status === 'interrupted',
      `after abort the job ended as ${outcome.result.status}, not interrupted`,
    )
    return latency
      ? 'interrupted while a request was in flight'
      : 'interrupted (the fake has no latency knob, so no request was in flight)'
  },
}

export const exportContinuesFromCursor: ConformanceCheck = {
  name: 'export_continues_from_cursor',
  description:
    'an export given the cursor of one of its pages yields exactly the records of the pages after it',
  requires: ['cursor'],
  async run(env) {
    const { ctx, sample } = await samplePlan(env)
    let pagesSeen = 0
    let cursorsSeen = 0
    for (const [i, partition] of sample.entries()) {
      const scratchDir = path.join(env.tmp, `cursor-${i}`)
      await mkdir(scratchDir, { recursive: true })
      const pages: Array<{ records: string[]; cursor: JsonValue | undefined }> = []
      for await (const page of env.source.export({ ...ctx, partition, cursor: undefined, scratchDir })) {
        pages.push({ records: pageRecords(page as ExportPage), cursor: (page as ExportPage).cursor })
      }
      pagesSeen = Math.max(pagesSeen, pages.length)
      cursorsSeen += pages.filter((p) => p.cursor !== undefined).length
      // The runtime resumes from the cursor of the last page it staged: take the first one with records after it.
      const k = pages.findIndex(
        (p, j) => p.cursor !== undefined && pages.slice(j + 1).some((q) => q.records.length > 0),
      )
      if (k < 0) continue
      const rest = pages.slice(k + 1).flatMap((p) => p.records)
      const resumed: string[] = []
      const cursor = pages[k]!.cursor
      // A scratch dir of its own: a resumed export must not rely on what the interrupted one left there.
      const resumeScratch = path.join(env.tmp, `cursor-${i}-resumed`)
      await mkdir(resumeScratch, { recursive: true })
      for await (const page of env.source.export({ ...ctx, partition, cursor, scratchDir: resumeScratch })) {
        resumed.push(...pageRecords(page as ExportPage))
      }
      const expected = countBy(rest, (r) => r)
      const got = countBy(resumed, (r) => r)
      const repeated = [...got].filter(([r, n]) => n > (expected.get(r) ?? 0))
      const missing = [...expected].filter(([r, n]) => n > (got.get(r) ?? 0))
      if (repeated.length > 0)
        fail(
          `partition ${partition.key}: resumed from the cursor of page ${k + 1} of ${pages.length}, the export yielded ${repeated.length} record(s) it had already given before that cursor, e.g. ${repeated[0]![0].slice(0, 200)}: continue from ctx.cursor instead of starting over`,
        )
      if (missing.length > 0)
        fail(
          `partition ${partition.key}: resumed from the cursor of page ${k + 1} of ${pages.length}, the export left out ${missing.length} record(s) that come after it, e.g. ${missing[0]![0].slice(0, 200)}`,
        )
      return `partition ${partition.key}: from the cursor of page ${k + 1} of ${pages.length}, exactly the ${rest.length} records after it`
    }
    // Declared, yet never given: a crash would restart every partition from its first page.
    ensure(
      pagesSeen < 2 || cursorsSeen > 0,
      `capabilities.cursor is declared, but no page of the sampled partitions (up to ${pagesSeen} pages each) carried a cursor: yield { records, cursor } with every page that has more after it, or declare cursor: false`,
    )
    throw new CheckSkipped(
      'no sampled partition exported two pages with a cursor between them: give the fake more records than one page (or a smaller page size)',
    )
  },
}

/** A page's records as canonical JSON (a line as it would be staged), for comparing by value. */
function pageRecords(page: ExportPage): string[] {
  return [...(page.records ?? []).map((r) => canonicalJson(r as JsonValue)), ...(page.lines ?? [])]
}
