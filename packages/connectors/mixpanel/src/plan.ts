import { ConfigError, type Partition, type ReplanContext, type SourceContext } from '@ph-import/core'
import { addDays, dayIn, dayStartUtc, daysInclusive, parseBound } from './dates.js'
import type { MixpanelConfig } from './schema.js'

export interface WindowParams {
  [key: string]: string | number | null
  from: string
  to: string
  timezone: string
  /** Exact range bounds (UTC ms) when start/end were datetimes; events outside are filtered. */
  rangeStartMs: number | null
  rangeEndMs: number | null
  /** 1 on the halves of a window that proved too big: replan leaves them as they are. */
  split?: number
}

const PREFIX = 'events:'

export function isEventsPartition(p: Pick<Partition, 'key'>): boolean {
  return p.key.startsWith(PREFIX)
}

// Mixpanel's from_date and to_date are both inclusive: a window ends the day before the next starts.
export function windowPartition(
  template: Omit<WindowParams, 'from' | 'to'>,
  from: string,
  to: string,
): Partition {
  return {
    key: `${PREFIX}${from}..${to}`,
    kind: 'events',
    phase: 1,
    order: from,
    params: { ...template, from, to },
  }
}

export function cutWindows(
  template: Omit<WindowParams, 'from' | 'to'>,
  from: string,
  to: string,
  days: number,
): Partition[] {
  const out: Partition[] = []
  for (let day = from; day <= to; day = addDays(day, days)) {
    const last = addDays(day, days - 1)
    out.push(windowPartition(template, day, last < to ? last : to))
  }
  return out
}

export function profilesPartition(timezone: string, fallbackTimestamp: string): Partition {
  // Phase 0: PostHog applies person properties in arrival order, so profiles load before events.
  return { key: 'profiles', kind: 'profiles', phase: 0, order: '', params: { timezone, fallbackTimestamp } }
}

/**
 * One partition per group key whose profiles are wanted: Engage with that `data_group_id`. Phase 0, after
 * the user profiles: events then carry their groups' properties, as they do for persons.
 */
export function groupProfilePartitions(c: MixpanelConfig, fallbackTimestamp: string): Partition[] {
  return Object.entries(c.groupProfiles ?? {}).map(([groupKey, dataGroupId]) => ({
    key: `groups:${groupKey}`,
    kind: 'group-profiles',
    phase: 0,
    order: `groups:${groupKey}`,
    params: {
      timezone: c.timezone,
      fallbackTimestamp,
      dataGroupId,
      groupType: c.groups?.[groupKey] ?? groupKey,
    },
  }))
}

export function planPartitions(ctx: SourceContext<MixpanelConfig>): Partition[] {
  const c = ctx.config
  const tz = c.timezone
  const today = dayIn(ctx.now.getTime(), tz)
  const start = parseBound(c.start, tz)
  let endDay = addDays(today, -1)
  let rangeEndMs: number | null = null
  if (c.end !== undefined) {
    const end = parseBound(c.end, tz)
    endDay = end.day
    if (end.instant !== undefined) {
      rangeEndMs = end.instant
      // An exclusive end at midnight needs nothing from that day.
      if (end.instant === dayStartUtc(end.day, tz)) endDay = addDays(end.day, -1)
    }
  }
  if (endDay >= today) {
    // Today is still being recorded: rows reach the export up to ~45 minutes late (later still from
    // offline devices), and a window, once staged, is never fetched again. Mixpanel refuses later days.
    const yesterday = addDays(today, -1)
    ctx.warn(
      `end ${endDay} reaches today (${today} in ${tz}), which Mixpanel is still recording and whose rows arrive late; the import stops at ${yesterday}: import today in a later run, once it is over`,
    )
    endDay = yesterday
    rangeEndMs = null
  }
  if (endDay < start.day) {
    throw new ConfigError(`nothing to import: the range ${start.day}..${endDay} (in ${tz}) is empty`, {
      hint: 'check --start and --end (end defaults to yesterday)',
    })
  }
  const template = { timezone: tz, rangeStartMs: start.instant ?? null, rangeEndMs }
  const windows = cutWindows(template, start.day, endDay, c.windowDays)
  const fallback = new Date(start.instant ?? dayStartUtc(start.day, tz)).toISOString()
  return [
    ...(c.profiles ? [profilesPartition(tz, fallback)] : []),
    ...groupProfilePartitions(c, fallback),
    ...windows,
  ]
}

function windowOf(p: Pick<Partition, 'params'>): { from: string; to: string } {
  return { from: String(p.params.from), to: String(p.params.to) }
}

/**
 * Sizes the windows still to come from the volume seen so far: the densest of the last three
 * windows sets events/day, and windows aim at `targetWindowEvents` (growing at most 4x per step, so
 * one quiet week does not turn into a month-long request that must then be split).
 */
export function replanWindows(ctx: ReplanContext<MixpanelConfig>): Partition[] | undefined {
  const c = ctx.config
  const seen = ctx.exported.filter((e) => isEventsPartition(e.partition)).slice(-3)
  // Halves of a window that proved too big keep their size; re-merging them would only split again.
  const pending = ctx.pending.filter((p) => isEventsPartition(p) && p.params.split !== 1)
  if (seen.length === 0 || pending.length === 0) return undefined
  let perDay = 0
  let widest = 1
  for (const e of seen) {
    const { from, to } = windowOf(e.partition)
    const days = daysInclusive(from, to)
    widest = Math.max(widest, days)
    perDay = Math.max(perDay, e.records / days)
  }
  const ideal = perDay === 0 ? c.maxWindowDays : Math.floor(c.targetWindowEvents / perDay)
  const size = Math.max(1, Math.min(ideal, c.maxWindowDays, widest * 4))
  const first = pending[0]
  if (!first) return undefined
  const { from: _f, to: _t, split: _s, ...template } = first.params as WindowParams
  // Re-cut each run of adjacent pending days; gaps (failed or done windows) stay gaps.
  const runs: Array<{ from: string; to: string }> = []
  for (const p of [...pending].sort((a, b) => (a.order ?? '').localeCompare(b.order ?? ''))) {
    const w = windowOf(p)
    const last = runs[runs.length - 1]
    if (last && addDays(last.to, 1) === w.from) last.to = w.to
    else runs.push({ ...w })
  }
  const reshaped = runs.flatMap((r) => cutWindows(template, r.from, r.to, size))
  const before = pending.map((p) => p.key).join(',')
  if (reshaped.map((p) => p.key).join(',') === before) return undefined
  ctx.logger.info(
    `resizing ${pending.length} pending windows to ${size} day(s) (~${Math.round(perDay)} events/day)`,
  )
  const kept = ctx.pending.filter((p) => !isEventsPartition(p) || p.params.split === 1)
  return [...kept, ...reshaped]
}

/** Halves a window that turned out too big while streaming it. */
export function splitWindow(p: Partition): Partition[] | undefined {
  const { from, to } = windowOf(p)
  const days = daysInclusive(from, to)
  if (days < 2) return undefined
  const { from: _f, to: _t, ...rest } = p.params as WindowParams
  const template = { ...rest, split: 1 }
  const mid = addDays(from, Math.floor(days / 2) - 1)
  return [windowPartition(template, from, mid), windowPartition(template, addDays(mid, 1), to)]
}

export function estimateDuration(
  partitions: readonly Partition[],
  config: MixpanelConfig,
): { seconds: number; note: string } {
  // Every partition is one query: an export window, or an Engage listing (its later pages are free).
  const queries = partitions.length
  const perHour = config.requestsPerHour
  // The first hour's budget goes at 3/s; every further `perHour` queries cost an hour.
  const seconds =
    queries <= perHour ? Math.ceil(queries / 3) : Math.ceil(((queries - perHour) / perHour) * 3600)
  const hours = seconds / 3600
  const human =
    hours >= 1 ? `${hours.toFixed(1)} h` : seconds >= 60 ? `${Math.round(seconds / 60)} min` : `${seconds} s`
  return {
    seconds,
    // Both limits named: "23 queries at 60/hour take 8 s" read as a contradiction.
    note: `${queries} Mixpanel queries within its limits (${perHour}/hour, 3/second) take at least ${human}; windows grow while days are small, so likely fewer`,
  }
}
