import type { JsonValue } from '@ph-import/core'
import type { ColumnType, CsvConfig } from './schema.js'

/** The per-config part of the mapping, computed once instead of per row. */
export interface CompiledMapping {
  /** Columns never copied into properties (mapped to event/distinct id/time/id, person props, excluded). */
  reserved: Set<string>
  /** When given: only these columns become properties. */
  only: Set<string> | undefined
  set: string[]
  setOnce: string[]
  rename: Record<string, string>
  types: Record<string, ColumnType>
  /** Column → group type (`$groups`). */
  groups: Array<[string, string]>
  empty: CsvConfig['emptyValues']
  /** Cell texts read as empty cells (`\N`). */
  nulls: Set<string>
}

const cache = new WeakMap<CsvConfig, CompiledMapping>()

export function compileMapping(config: CsvConfig): CompiledMapping {
  const cached = cache.get(config)
  if (cached) return cached
  const reserved = new Set<string>([
    config.distinctIdColumn,
    config.timestampColumn,
    ...config.set,
    ...config.setOnce,
    ...config.exclude,
  ])
  if (config.event === undefined) reserved.add(config.eventColumn)
  if (config.idColumn) reserved.add(config.idColumn)
  const compiled: CompiledMapping = {
    reserved,
    only: config.properties ? new Set(config.properties) : undefined,
    set: config.set,
    setOnce: config.setOnce,
    rename: config.rename,
    types: config.types,
    groups: Object.entries(config.groups ?? {}),
    empty: config.emptyValues,
    nulls: new Set(config.nullValues ?? []),
  }
  cache.set(config, compiled)
  return compiled
}

export type Coerced = { ok: true; value: JsonValue } | { ok: false; reason: string }

const TRUE = new Set(['true', 't', 'yes', 'y', '1'])
const FALSE = new Set(['false', 'f', 'no', 'n', '0'])
// Plain decimal numbers only: `0x1f`, `1_000` or `Infinity` in a CSV are text, not numbers.
const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/

/** A cell → its configured type; a value that does not convert is reported, never guessed. */
export function coerce(value: string, type: ColumnType | undefined): Coerced {
  switch (type) {
    case undefined:
    case 'string':
      return { ok: true, value }
    case 'number': {
      const text = value.trim()
      return NUMBER_RE.test(text)
        ? { ok: true, value: Number(text) }
        : { ok: false, reason: 'is not a number' }
    }
    case 'boolean': {
      const text = value.trim().toLowerCase()
      if (TRUE.has(text)) return { ok: true, value: true }
      if (FALSE.has(text)) return { ok: true, value: false }
      return { ok: false, reason: 'is not a boolean (true/false, yes/no, 1/0)' }
    }
    case 'json':
      try {
        return { ok: true, value: JSON.parse(value) as JsonValue }
      } catch {
        return { ok: false, reason: 'is not valid JSON' }
      }
  }
}

/** What an empty cell becomes: nothing (omit), null, or the empty string (keep). */
export function emptyValue(mode: CsvConfig['emptyValues']): { value: JsonValue } | undefined {
  if (mode === 'omit') return undefined
  return { value: mode === 'null' ? null : '' }
}
