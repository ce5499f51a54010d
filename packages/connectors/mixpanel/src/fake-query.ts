/** The fake export's query semantics: days, `event` and `where` filters, and the exported row shape. */
import { dayIn, utcToWallClock } from './dates.js'
import type { FakeEventRow } from './fake-data.js'

/** Projects created before 2023 use the project zone for days and exported epochs (Mixpanel docs). */
export function usesLocalTime(createdAt: string): boolean {
  return createdAt < '2023-01-01'
}

export function rowDay(row: FakeEventRow, timeZone: string, local: boolean): string {
  return dayIn(row.utcMs, local ? timeZone : 'UTC')
}

export function exportedRow(
  row: FakeEventRow,
  timeZone: string,
  local: boolean,
  inMs: boolean,
): { event: string; properties: Record<string, unknown> } {
  const epochMs = local ? utcToWallClock(row.utcMs, timeZone) : row.utcMs
  const time = inMs ? epochMs : Math.floor(epochMs / 1000)
  return { event: row.event, properties: { time, ...row.properties } }
}

type Predicate = (row: { event: string; properties: Record<string, unknown> }) => boolean

const CLAUSE =
  /^(?:defined\(properties\["([^"]+)"\]\)|properties\["([^"]+)"\]\s*(==|!=|>=|<=|>|<)\s*(?:"([^"]*)"|datetime\((\d+)\)|(-?\d+(?:\.\d+)?)))$/

/**
 * A deliberately small subset of Mixpanel's segmentation expressions, enough for the forms
 * connectors send: clauses joined by `and`, each `defined(properties["p"])` or
 * `properties["p"] OP value` with OP one of == != > >= < <= and value a "string", a number or
 * `datetime(<epoch seconds>)`. `properties["$time"]` is the event time. Anything else is a 400.
 */
export function parseWhere(expression: string): Predicate | string {
  const clauses = expression.split(/\s+and\s+/i).map((c) => c.trim())
  const predicates: Predicate[] = []
  for (const clause of clauses) {
    const m = CLAUSE.exec(clause)
    if (!m) return `unsupported where clause: ${clause}`
    const [, definedName, name, op, text, datetime, number] = m
    if (definedName !== undefined) {
      predicates.push((r) => r.properties[definedName] !== undefined)
      continue
    }
    const key = name as string
    const expected: string | number = text ?? (datetime !== undefined ? Number(datetime) : Number(number))
    predicates.push((r) => {
      const raw = key === '$time' ? Number(r.properties.time) : r.properties[key]
      const actual = key === '$time' && typeof raw === 'number' && raw > 1e10 ? raw / 1000 : raw
      if (typeof actual !== typeof expected) return op === '!='
      const a = actual as string | number
      switch (op) {
        case '==':
          return a === expected
        case '!=':
          return a !== expected
        case '>':
          return a > expected
        case '>=':
          return a >= expected
        case '<':
          return a < expected
        default:
          return a <= expected
      }
    })
  }
  return (row) => predicates.every((p) => p(row))
}

/** `event=["a","b"]` as Mixpanel takes it: a URL-encoded JSON array of names. */
export function parseEventFilter(value: string | null): Set<string> | undefined | string {
  if (value === null) return undefined
  try {
    const names = JSON.parse(value) as unknown
    if (!Array.isArray(names) || !names.every((n) => typeof n === 'string'))
      return 'event must be a JSON array of strings'
    return new Set(names)
  } catch {
    return 'event must be a JSON array of strings'
  }
}

/** Fisher–Yates with a seeded generator: each download sees its own row order, replayably. */
export function shuffle<T>(items: T[], rand: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    const tmp = items[i] as T
    items[i] = items[j] as T
    items[j] = tmp
  }
  return items
}
