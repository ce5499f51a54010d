/** Time-zone arithmetic through Intl (no tz database shipped): used by connectors whose sources write wall-clock times. */
const DAY_MS = 86_400_000
// Every zone's offset changes on a quarter hour of UTC (Nepal +05:45, Adelaide +09:30), so a
// 15-minute bucket never straddles a transition.
const BUCKET_MS = 900_000
const MAX_CACHED = 100_000

const formatters = new Map<string, Intl.DateTimeFormat>()
const offsets = new Map<string, Map<number, number>>()

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
    formatters.set(zone, f)
  }
  return f
}

/** The zone's UTC offset in ms at an instant (local = utc + offset), via Intl: no tz database shipped. */
export function zoneOffset(zone: string, utcMs: number): number {
  let cache = offsets.get(zone)
  if (!cache) {
    cache = new Map()
    offsets.set(zone, cache)
  }
  const bucket = Math.floor(utcMs / BUCKET_MS)
  const cached = cache.get(bucket)
  if (cached !== undefined) return cached
  const parts: Record<string, number> = {}
  for (const part of formatter(zone).formatToParts(new Date(bucket * BUCKET_MS))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value)
  }
  const local = Date.UTC(
    parts.year ?? 1970,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  )
  const offset = local - bucket * BUCKET_MS
  if (cache.size >= MAX_CACHED) cache.clear()
  cache.set(bucket, offset)
  return offset
}

export function isUtcZone(zone: string): boolean {
  return /^(utc|etc\/utc|gmt|etc\/gmt|z|zulu|universal|etc\/universal)$/i.test(zone)
}

/**
 * A wall-clock time in `zone` (given as if it were UTC ms) → the UTC instant. Resolves like Temporal's
 * `compatible` disambiguation: a time skipped by a DST jump moves forward by the gap, a time that occurs
 * twice (clocks going back) takes the earlier instant.
 */
export function zonedToUtc(wallMs: number, zone: string): number {
  if (isUtcZone(zone)) return wallMs
  const before = zoneOffset(zone, wallMs - DAY_MS)
  const after = zoneOffset(zone, wallMs + DAY_MS)
  const candidates = before === after ? [wallMs - before] : [wallMs - before, wallMs - after]
  const valid = candidates.filter((utc) => utc + zoneOffset(zone, utc) === wallMs)
  if (valid.length > 0) return Math.min(...valid)
  return wallMs - before
}
