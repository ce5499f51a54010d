import type { AnySource, Partition } from '@ph-import/core'
import { parseConfig, sourceContext } from './harness.js'
import { type ConformanceCheck, type ConformanceOptions, ensure, fail } from './types.js'

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/
const DAY_MS = 86_400_000

async function planOf(source: AnySource, config: Record<string, unknown>): Promise<Partition[]> {
  return source.plan(sourceContext(source, config))
}

function toMs(value: string | number, what: string): number {
  const ms = typeof value === 'number' ? value : Date.parse(value)
  if (Number.isNaN(ms)) fail(`${what} is not a date: ${String(value)}`)
  return ms
}

/** Config `start`/`end`; a date-only end is inclusive (the whole day), a datetime end exclusive. */
export function defaultExpectedRange(config: Record<string, unknown>): readonly [number, number] {
  const { start, end } = config
  if (typeof start !== 'string' || typeof end !== 'string')
    fail('the config has no string start/end: pass expectedRange to the suite')
  const endMs = toMs(end, 'config end') + (DATE_ONLY.test(end) ? DAY_MS : 0)
  return [toMs(start, 'config start'), endMs]
}

export function defaultCoverage(
  partitions: readonly Partition[],
): Array<readonly [string | number, string | number]> {
  return partitions
    .filter((p) => (p.kind ?? 'events') === 'events')
    .map((p) => {
      const start = p.params.start ?? p.params.from
      const end = p.params.end ?? p.params.to
      if (
        (typeof start !== 'string' && typeof start !== 'number') ||
        (typeof end !== 'string' && typeof end !== 'number')
      )
        fail(`partition ${p.key} has no params.start/end: pass coverage(partitions) to the suite`)
      return [start, end] as const
    })
}

/** Plan order as the runtime loads it: by (phase, order), plan index breaking ties. */
function inLoadOrder(partitions: readonly Partition[]): Partition[] {
  const phase = (p: Partition) => p.phase ?? (p.kind === 'profiles' ? 0 : 1)
  return partitions
    .map((p, i) => ({ p, order: p.order ?? String(i).padStart(8, '0') }))
    .sort((a, b) => phase(a.p) - phase(b.p) || (a.order < b.order ? -1 : a.order > b.order ? 1 : 0))
    .map((x) => x.p)
}

function iso(ms: number): string {
  return new Date(ms).toISOString()
}

export function checkCoverage(
  options: ConformanceOptions,
  config: Record<string, unknown>,
  plan: Partition[],
) {
  const intervals = (options.coverage ?? defaultCoverage)(inLoadOrder(plan)).map(
    ([s, e], i) => [toMs(s, `interval ${i} start`), toMs(e, `interval ${i} end`)] as const,
  )
  ensure(intervals.length > 0, 'the plan has no event partitions for a non-empty range')
  const [from, to] = (options.expectedRange ?? defaultExpectedRange)(config)
  const problems: string[] = []
  for (const [i, [s, e]] of intervals.entries()) {
    if (!(e > s)) problems.push(`interval ${i} [${iso(s)}, ${iso(e)}) is empty or reversed`)
    const next = intervals[i + 1]
    if (!next) continue
    if (next[0] > e) problems.push(`gap between ${iso(e)} and ${iso(next[0])} (after interval ${i})`)
    if (next[0] < e)
      problems.push(
        `overlap: interval ${i + 1} starts at ${iso(next[0])} before interval ${i} ends at ${iso(e)}`,
      )
  }
  const first = intervals[0]![0]
  const last = intervals[intervals.length - 1]![1]
  if (first > from) problems.push(`the plan starts at ${iso(first)}, after the requested ${iso(from)}`)
  if (last < to) problems.push(`the plan ends at ${iso(last)}, before the requested ${iso(to)}`)
  return { problems, intervals: intervals.length, from, to }
}

export const planCoversRange: ConformanceCheck = {
  name: 'plan_covers_range',
  description: 'the plan covers the requested range with no gap and no overlap, in load order',
  requires: ['range'],
  async run(env) {
    const { config } = await env.setup()
    const parsed = parseConfig(env.source, config)
    const plan = await planOf(env.source, parsed)
    const { problems, intervals, from, to } = checkCoverage(env.options, parsed, plan)
    if (problems.length > 0) fail(problems.slice(0, 5).join('; '))
    return `${intervals} intervals tile [${iso(from)}, ${iso(to)})`
  },
}

export const planIsStable: ConformanceCheck = {
  name: 'plan_is_stable',
  description:
    'planning the same config twice yields the same partition keys and params (resume relies on it)',
  async run(env) {
    const { config } = await env.setup()
    const parsed = parseConfig(env.source, config)
    const a = await planOf(env.source, parsed)
    const b = await planOf(env.source, parsed)
    ensure(a.length > 0, 'the plan is empty for the suite config: give the fake data in the requested range')
    const keys = new Set(a.map((p) => p.key))
    ensure(keys.size === a.length, 'two partitions share a key')
    const changed = a.filter((p, i) => JSON.stringify(p) !== JSON.stringify(b[i]))
    ensure(
      a.length === b.length && changed.length === 0,
      `re-planning changed ${
        changed
          .map((p) => p.key)
          .slice(0, 3)
          .join(', ') || 'the partition count'
      }`,
    )
    return `${a.length} partitions, identical on re-plan`
  },
}
