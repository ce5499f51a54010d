import { ConfigError, type Partition } from '@ph-import/core'

export const HOUR_MS = 3_600_000
const DAY_MS = 24 * HOUR_MS

/** Amplitude's `start`/`end` parameter: `YYYYMMDDTHH`, UTC, the hour included. */
export function formatHour(ms: number): string {
  const iso = new Date(ms).toISOString()
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}`
}

export function parseHour(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})$/.exec(value)
  if (!m) return undefined
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]))
  return formatHour(ms) === value ? ms : undefined
}

function parseInstant(value: string, field: string): number {
  let text = value
  if (/T\d{2}$/.test(text)) text += ':00'
  if (!/(Z|[+-]\d{2}:?\d{2})$/.test(text) && text.includes('T')) text += 'Z'
  const ms = Date.parse(text.includes('T') ? text : `${text}T00:00:00Z`)
  if (Number.isNaN(ms)) throw new ConfigError(`${field}: ${JSON.stringify(value)} is not a valid date`)
  return ms
}

const isDateOnly = (value: string) => /^\d{4}-\d{2}-\d{2}$/.test(value)

/** First upload hour to export: a date means its T00, a datetime the hour containing it. */
export function startHour(value: string): number {
  const ms = parseInstant(value, 'start')
  return Math.floor(ms / HOUR_MS) * HOUR_MS
}

/** Exclusive end: a date is included whole; a datetime is rounded up to the next whole hour. */
export function endExclusive(value: string): number {
  const ms = parseInstant(value, 'end')
  if (isDateOnly(value)) return ms + DAY_MS
  return Math.ceil(ms / HOUR_MS) * HOUR_MS
}

/**
 * "Data is available to export at a minimum within 2 hours of when the servers received it (8–9 PM
 * data is exportable at 11 PM)": an hour is complete once its end is 2 hours in the past.
 */
export function completeBefore(now: Date): number {
  return Math.floor((now.getTime() - 2 * HOUR_MS) / HOUR_MS) * HOUR_MS
}

export interface HourWindow {
  /** First hour included (ms). */
  first: number
  /** Last hour included (ms). */
  last: number
}

export function windowKey({ first, last }: HourWindow): string {
  const day = new Date(first).toISOString().slice(0, 10)
  const wholeDay = first % DAY_MS === 0 && last === first + DAY_MS - HOUR_MS
  if (wholeDay) return day
  const h = (ms: number) => new Date(ms).toISOString().slice(11, 13)
  return `${day}T${h(first)}-${h(last)}`
}

export function windowPartition(w: HourWindow): Partition {
  return {
    key: windowKey(w),
    order: new Date(w.first).toISOString(),
    params: { start: formatHour(w.first), end: formatHour(w.last) },
  }
}

export function partitionWindow(p: Partition): HourWindow {
  const first = parseHour(String(p.params.start))
  const last = parseHour(String(p.params.end))
  if (first === undefined || last === undefined || last < first) {
    throw new ConfigError(`partition ${p.key} has an invalid window ${p.params.start}..${p.params.end}`)
  }
  return { first, last }
}

/** One window per UTC day of upload time, clipped to [first, endExclusive). */
export function dayWindows(first: number, endExcl: number): HourWindow[] {
  const windows: HourWindow[] = []
  for (let s = first; s < endExcl; ) {
    const dayEnd = Math.floor(s / DAY_MS) * DAY_MS + DAY_MS
    const e = Math.min(dayEnd, endExcl)
    windows.push({ first: s, last: e - HOUR_MS })
    s = e
  }
  return windows
}

export function hoursIn(w: HourWindow): number {
  return (w.last - w.first) / HOUR_MS + 1
}

/** Halves a window on an hour boundary (caller checks it has more than one hour). */
export function bisect(w: HourWindow): [HourWindow, HourWindow] {
  const mid = w.first + Math.floor(hoursIn(w) / 2) * HOUR_MS
  return [
    { first: w.first, last: mid - HOUR_MS },
    { first: mid, last: w.last },
  ]
}
