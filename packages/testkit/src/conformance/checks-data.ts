import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { canonicalJson, isFiltered, isRejection, validateEvent } from '@ph-import/core'
import { testTransformContext } from '../transform-context.js'
import {
  countBy,
  describeRun,
  exportRecords,
  importOnce,
  parseConfig,
  sourceContext,
  UnparsableLine,
} from './harness.js'
import { type CheckEnv, CheckSkipped, type ConformanceCheck, ensure, fail } from './types.js'

/** The plan for the suite's config, and the first partitions the export and transform checks look at. */
export async function samplePlan(env: CheckEnv) {
  const { config } = await env.setup()
  const parsed = parseConfig(env.source, config)
  const ctx = sourceContext(env.source, parsed)
  const plan = await env.source.plan(ctx)
  ensure(plan.length > 0, 'the plan is empty for the suite config: give the fake data in the requested range')
  return { parsed, ctx, sample: plan.slice(0, env.options.samplePartitions ?? 3) }
}

export const exportIsRepeatable: ConformanceCheck = {
  name: 'export_is_repeatable',
  description: 'exporting a partition twice yields the same multiset of records (a retry never changes data)',
  async run(env) {
    const { ctx, sample } = await samplePlan(env)
    let total = 0
    for (const [i, partition] of sample.entries()) {
      const scratch = path.join(env.tmp, `scratch-${i}`)
      await mkdir(scratch, { recursive: true })
      const first = countBy(await exportRecords(env.source, ctx, partition, scratch), canonicalJson)
      const second = countBy(await exportRecords(env.source, ctx, partition, scratch), canonicalJson)
      for (const [record, n] of first) {
        const m = second.get(record) ?? 0
        if (m !== n) fail(`partition ${partition.key}: record seen ${n}x then ${m}x: ${record.slice(0, 200)}`)
      }
      for (const [record] of second)
        if (!first.has(record))
          fail(`partition ${partition.key}: second export has a new record: ${record.slice(0, 200)}`)
      for (const n of first.values()) total += n
    }
    ensure(
      total > 0,
      'the sampled partitions exported no records, so nothing was compared: give the fake data',
    )
    return `${sample.length} partitions, ${total} records, identical twice`
  },
}

export const exportIsComplete: ConformanceCheck = {
  name: 'export_is_complete',
  description:
    'a whole import reads exactly as many records as the fake holds for the range: no page lost, none read twice',
  async run(env) {
    const expected = env.options.expectedRecords
    if (!expected)
      throw new CheckSkipped(
        'give runConformance `expectedRecords(config, fake)`, how many records the fake holds for the config, to check that no page is lost or repeated',
      )
    const { fake, config } = await env.setup()
    const want = await expected(config, fake)
    const run = await importOnce({ env, config, name: 'complete' })
    ensure(run.result.status === 'done', `the import did not finish: ${describeRun(run)}`)
    const read = run.result.report.records.read
    if (read < want)
      fail(
        `read ${read} records where the fake holds ${want} for the range: ${want - read} lost. A page is left out: the last one (yield it before stopping), or those after the first (follow the cursor until the API says there are no more)`,
      )
    if (read > want)
      fail(
        `read ${read} records where the fake holds ${want} for the range: ${read - want} read twice. A page is repeated: the last one, or one fetched again with a stale cursor`,
      )
    return `${read} records, as many as the fake holds`
  },
}

export const eventsAreValid: ConformanceCheck = {
  name: 'events_are_valid',
  description: "every event transform produces passes core's validateEvent (what PostHog's capture accepts)",
  async run(env) {
    const { parsed, ctx, sample } = await samplePlan(env)
    const counts = { records: 0, events: 0, rejected: 0, filtered: 0 }
    const seen = new Set<string>()
    for (const [i, partition] of sample.entries()) {
      const scratch = path.join(env.tmp, `scratch-${i}`)
      await mkdir(scratch, { recursive: true })
      const tctx = testTransformContext({
        source: env.source.name,
        identity: env.source.identity?.(parsed) ?? 'default',
        config: parsed,
        partition,
        seen,
      })
      for (const raw of await exportRecords(env.source, ctx, partition, scratch)) {
        counts.records++
        if (raw instanceof UnparsableLine) {
          counts.rejected++ // by the runtime, as `unparsable_record`
          continue
        }
        // The runtime stages records as JSON lines, so transform sees them after a JSON round trip.
        const result = env.source.transform(JSON.parse(JSON.stringify(raw)) as unknown, tctx)
        if (isRejection(result)) counts.rejected++
        else if (isFiltered(result)) counts.filtered++
        else
          for (const event of Array.isArray(result) ? result : [result]) {
            const v = validateEvent(event)
            if (!v.ok)
              fail(
                `partition ${partition.key}: ${v.code}: ${v.message} (event ${JSON.stringify(event).slice(0, 200)})`,
              )
            counts.events++
          }
      }
    }
    ensure(
      counts.events > 0,
      `no events from ${counts.records} records (${counts.rejected} rejected, ${counts.filtered} filtered)`,
    )
    return `${counts.events} events from ${counts.records} records, all valid (${counts.rejected} rejected, ${counts.filtered} filtered)`
  },
}

export const uuidsAreStable: ConformanceCheck = {
  name: 'uuids_are_stable',
  description:
    'two independent runs of the same import produce the same event uuids (PostHog dedupes on them)',
  async run(env) {
    const { config } = await env.setup()
    const a = await importOnce({ env, config, name: 'run-a' })
    const b = await importOnce({ env, config, name: 'run-b' })
    ensure(a.result.status === 'done', `first run: ${describeRun(a)}`)
    ensure(b.result.status === 'done', `second run: ${describeRun(b)}`)
    ensure(a.events.length > 0, 'the run loaded no events: give the fake data')
    const ua = new Set(a.events.map((e) => e.uuid))
    const ub = new Set(b.events.map((e) => e.uuid))
    const onlyA = [...ua].filter((u) => !ub.has(u))
    const onlyB = [...ub].filter((u) => !ua.has(u))
    if (onlyA.length + onlyB.length > 0)
      fail(
        `${onlyA.length} uuids only in the first run, ${onlyB.length} only in the second (of ${ua.size}): derive uuids with ctx.uuid(...) from the record's identity, never randomly`,
      )
    return `${ua.size} uuids identical across two runs`
  },
}
