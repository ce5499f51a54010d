import { isUuid, type JsonValue, type TransformContext, type TransformResult } from '@ph-import/core'
import type { CsvRow } from './export.js'
import { type CompiledMapping, coerce, compileMapping, emptyValue } from './mapping.js'
import type { CsvConfig } from './schema.js'
import { parseTimestamp } from './timestamp.js'

class RowError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

/** A key cell (event, distinct id, time, id): trimmed; blank, missing or a null marker (`\N`) is undefined. */
function cell(values: Record<string, string>, column: string, nulls: Set<string>): string | undefined {
  const value = values[column]?.trim()
  return value && !nulls.has(value) ? value : undefined
}

/** A cell as a property value, or undefined to leave it out. Throws RowError for a bad typed value. */
function propertyValue(
  m: CompiledMapping,
  column: string,
  raw: string | undefined,
): { value: JsonValue } | undefined {
  if (raw === undefined) return undefined
  if (raw === '' || m.nulls.has(raw)) return emptyValue(m.empty)
  const result = coerce(raw, m.types[column])
  if (!result.ok) {
    throw new RowError(
      'invalid_value',
      `column ${JSON.stringify(column)}: ${JSON.stringify(raw)} ${result.reason}`,
    )
  }
  return { value: result.value }
}

function personProperties(
  m: CompiledMapping,
  columns: readonly string[],
  values: Record<string, string>,
): Record<string, JsonValue> | undefined {
  let out: Record<string, JsonValue> | undefined
  for (const column of columns) {
    const v = propertyValue(m, column, values[column])
    if (!v) continue
    out ??= {}
    out[m.rename[column] ?? column] = v.value
  }
  return out
}

function eventProperties(m: CompiledMapping, values: Record<string, string>): Record<string, JsonValue> {
  const properties: Record<string, JsonValue> = {}
  for (const column of Object.keys(values)) {
    if (m.only ? !m.only.has(column) : m.reserved.has(column)) continue
    const v = propertyValue(m, column, values[column])
    if (v) properties[m.rename[column] ?? column] = v.value
  }
  spreadPropertiesColumn(properties)
  const set = personProperties(m, m.set, values)
  const setOnce = personProperties(m, m.setOnce, values)
  // A `$set` column of JSON (a PostHog export) merges with the mapped person columns.
  if (set) properties.$set = { ...asObject(properties.$set), ...set }
  if (setOnce) properties.$set_once = { ...asObject(properties.$set_once), ...setOnce }
  let groups: Record<string, string> | undefined
  for (const [column, type] of m.groups) {
    const key = cell(values, column, m.nulls)
    if (key === undefined) continue
    groups ??= {}
    groups[type] = key
  }
  if (groups) properties.$groups = groups
  properties.$import_source = 'csv'
  return properties
}

/**
 * A column named `properties` holding a JSON object (a PostHog or Segment export written as CSV) gives its
 * keys as the event's properties, not one property named "properties"; a column of the same name wins over a
 * key. Text that is not a JSON object stays as it is.
 */
function spreadPropertiesColumn(properties: Record<string, JsonValue>): void {
  const nested = properties.properties
  let object: JsonValue | undefined = nested
  if (typeof nested === 'string' && nested.trimStart().startsWith('{')) {
    try {
      object = JSON.parse(nested) as JsonValue
    } catch {
      return
    }
  }
  if (!object || typeof object !== 'object' || Array.isArray(object)) return
  delete properties.properties
  for (const key of Object.keys(object)) if (!(key in properties)) properties[key] = object[key] as JsonValue
}

function asObject(value: JsonValue | undefined): Record<string, JsonValue> {
  return value && typeof value === 'object' && !Array.isArray(value) ? value : {}
}

/**
 * The deterministic uuid. An id column wins (a UUID in it is kept, so a PostHog export round-trips).
 * Otherwise `row` names the event by its values alone: the same row in a re-exported, grown or
 * overlapping file gets the same uuid and PostHog keeps one copy. Identical rows collapse into one
 * event; `file-line` keeps them apart at the cost of new uuids whenever the file changes.
 */
function eventUuid(
  row: CsvRow,
  values: Record<string, string>,
  config: CsvConfig,
  ctx: TransformContext,
): string {
  const id = config.idColumn ? cell(values, config.idColumn, compileMapping(config).nulls) : undefined
  if (id !== undefined) return isUuid(id) ? id.toLowerCase() : ctx.uuid('id', id)
  switch (config.uuidFrom) {
    case 'file-line':
      return ctx.uuid('line', row.fileId, row.line)
    case 'file-row':
      return ctx.uuidFromContent({ file: row.fileId, values })
    default:
      return ctx.uuidFromContent(values)
  }
}

/** One staged row → one PostHog event, or a rejection naming the file, line and reason. */
export function transformRow(row: CsvRow, ctx: TransformContext<CsvConfig>): TransformResult {
  const config = ctx.config
  if (!config) throw new Error('the csv transform needs ctx.config')
  const where = `${row.file} line ${row.line}`
  if (row.error) return ctx.reject(row.error.code, `${where}: ${row.error.message}`)
  const values = row.values ?? {}
  if (row.extra) {
    return ctx.reject(
      'ragged_row',
      `${where}: ${Object.keys(values).length + row.extra.length} values for ${Object.keys(values).length} columns (a delimiter inside an unquoted value?)`,
    )
  }
  if (row.missing && config.strictColumns) {
    return ctx.reject('ragged_row', `${where}: ${row.missing} value(s) fewer than the header's columns`)
  }
  const nulls = compileMapping(config).nulls
  const event = config.event ?? cell(values, config.eventColumn, nulls)
  if (!event)
    return ctx.reject('missing_event_name', `${where}: column ${JSON.stringify(config.eventColumn)} is empty`)
  const distinctId = cell(values, config.distinctIdColumn, nulls)
  if (!distinctId) {
    return ctx.reject(
      'missing_distinct_id',
      `${where}: column ${JSON.stringify(config.distinctIdColumn)} is empty`,
    )
  }
  const time = cell(values, config.timestampColumn, nulls)
  if (!time) {
    return ctx.reject(
      'missing_timestamp',
      `${where}: column ${JSON.stringify(config.timestampColumn)} is empty`,
    )
  }
  const parsed = parseTimestamp(time, { timezone: config.timezone, format: config.timestampFormat })
  if (!parsed.ok) return ctx.reject('invalid_timestamp', `${where}: ${parsed.reason}`)
  let properties: Record<string, JsonValue>
  try {
    properties = eventProperties(compileMapping(config), values)
  } catch (error) {
    if (error instanceof RowError) return ctx.reject(error.code, `${where}: ${error.message}`)
    throw error
  }
  return {
    event,
    distinct_id: distinctId,
    uuid: eventUuid(row, values, config, ctx),
    timestamp: parsed.iso,
    properties,
  }
}
