import { field, MAX_GROUP_FIELD_LENGTH, MAX_GROUP_TYPES } from '@ph-import/core'
import { z } from 'zod'
import { formatProblem } from './timestamp-format.js'

/**
 * The CLI hands arrays over as repeated flags, a comma-separated string or JSON; a config file hands
 * over real arrays. Accept all of them.
 */
function splitList(value: unknown): unknown {
  if (typeof value !== 'string') return value
  const text = value.trim()
  if (text.startsWith('[')) {
    try {
      return JSON.parse(text)
    } catch {
      return value
    }
  }
  return text === '' ? [] : text.split(',').map((s) => s.trim())
}

/** Objects arrive as JSON strings or `key=value,key=value` from a flag, or as real objects from a file. */
function parseMap(value: unknown): unknown {
  if (typeof value !== 'string') return value
  const text = value.trim()
  if (text.startsWith('{')) {
    try {
      return JSON.parse(text)
    } catch {
      return value
    }
  }
  if (text === '') return {}
  const pairs = text.split(',').map((pair) => {
    const at = pair.search(/[=:]/)
    return at < 0 ? [pair.trim(), ''] : [pair.slice(0, at).trim(), pair.slice(at + 1).trim()]
  })
  return Object.fromEntries(pairs)
}

const list = (item: z.ZodType<string>) => z.preprocess(splitList, z.array(item))
const map = <V extends z.ZodType>(value: V) => z.preprocess(parseMap, z.record(z.string(), value))

/** At most 5 group types, and no type fed by two columns (a row could then name two groups of it). */
function fewGroupTypes(groups: Record<string, string> | undefined): boolean {
  const types = Object.values(groups ?? {})
  return new Set(types).size === types.length && types.length <= MAX_GROUP_TYPES
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
    return true
  } catch {
    return false
  }
}

export const ColumnType = z.enum(['string', 'number', 'boolean', 'json'])
export type ColumnType = z.infer<typeof ColumnType>

export const CsvConfig = z.object({
  files: z
    .preprocess(splitList, z.array(z.string().min(1)).min(1, 'give at least one file or glob'))
    .describe('CSV/TSV files or globs (*, **, ?); .gz files are decompressed'),
  event: z
    .string()
    .min(1)
    .optional()
    .describe('a constant event name for every row (instead of --event-column)'),
  eventColumn: z.string().min(1).default('event').describe('column holding the event name'),
  distinctIdColumn: z.string().min(1).default('distinct_id').describe('column holding the distinct id'),
  timestampColumn: z.string().min(1).default('timestamp').describe('column holding the event time'),
  idColumn: z
    .string()
    .min(1)
    .optional()
    .describe('column holding a unique event id: the uuid is derived from it (a UUID value is used as is)'),
  timezone: z
    .string()
    .default('UTC')
    .refine(isTimeZone, 'not an IANA time zone (e.g. UTC, Europe/Berlin, America/New_York)')
    .describe('IANA time zone for timestamps without an offset'),
  timestampFormat: z
    .string()
    .min(1)
    .superRefine((format, ctx) => {
      const problem = formatProblem(format)
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem })
    })
    .optional()
    .describe(
      'explicit timestamp format, tokens YYYY MM M DD D HH H hh h mm ss S… A Z, e.g. "DD/MM/YYYY HH:mm:ss.SSS"',
    ),
  encoding: z
    .enum(['utf-8', 'windows-1252', 'iso-8859-15'])
    .default('utf-8')
    .describe(
      'text encoding of the files: utf-8, windows-1252 (what Excel saves as "CSV" on Windows; also for Latin-1) or iso-8859-15',
    ),
  delimiter: z
    .string()
    .min(1)
    .default('auto')
    .describe('field delimiter: auto (detected from the header line), ",", ";", "tab" or any character'),
  columns: list(z.string().min(1))
    .optional()
    .describe('column names for files without a header row (the first line is then data)'),
  properties: list(z.string().min(1))
    .optional()
    .describe('columns that become event properties (default: all columns not mapped elsewhere)'),
  exclude: list(z.string().min(1)).default([]).describe('columns never imported as properties'),
  rename: map(z.string().min(1)).default({}).describe('column → property name, e.g. {"plan_name":"plan"}'),
  types: map(ColumnType)
    .default({})
    .describe('column → type (string, number, boolean, json); a value that does not convert rejects the row'),
  set: list(z.string().min(1)).default([]).describe('columns sent as person properties with $set'),
  setOnce: list(z.string().min(1)).default([]).describe('columns sent as person properties with $set_once'),
  groups: map(z.string().min(1).max(MAX_GROUP_FIELD_LENGTH))
    .optional()
    .refine(
      fewGroupTypes,
      `at most ${MAX_GROUP_TYPES} group types (PostHog keeps ${MAX_GROUP_TYPES} per project), each from one column`,
    )
    .describe(
      'column → PostHog group type, e.g. company_id=company: each row is put in the group its cell names ($groups); the column stays a property',
    ),
  nullValues: list(z.string().min(1))
    .default(['\\N'])
    .describe(
      'cell texts that mean "no value" and are read as empty cells: \\N (MySQL and Postgres dumps) by default; add NULL if the file writes it',
    ),
  emptyValues: z
    .enum(['omit', 'null', 'keep'])
    .default('omit')
    .describe('what an empty cell becomes: omit (no property), null, or keep (the empty string)'),
  uuidFrom: z
    .enum(['row', 'file-row', 'file-line'])
    .default('row')
    .describe(
      'without --id-column, derive uuids from: row (its values), file-row (file content identity + values) or file-line (file identity + line number)',
    ),
  strictColumns: z
    .boolean()
    .default(false)
    .describe('reject rows with fewer fields than the header (rows with more are always rejected)'),
  maxRowBytes: field(
    z
      .number()
      .int()
      .min(1024)
      .default(16 * 1024 * 1024)
      .describe('largest row accepted; a bigger one (usually an unclosed quote) stops that file'),
    { hidden: true },
  ),
  pageSize: field(
    z.number().int().min(1).max(100_000).default(2000).describe('rows per export page (checkpoint grain)'),
    { hidden: true },
  ),
})
export type CsvConfig = z.infer<typeof CsvConfig>

/** The delimiter a user spelled, as the character the parser needs (`auto` stays `auto`). */
export function normalizeDelimiter(value: string): string {
  const lower = value.toLowerCase()
  if (lower === 'tab' || value === '\\t') return '\t'
  if (lower === 'semicolon') return ';'
  if (lower === 'comma') return ','
  if (lower === 'pipe') return '|'
  return value
}
