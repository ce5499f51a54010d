import { open } from 'node:fs/promises'
import {
  type ExportContext,
  type ExportPage,
  FatalError,
  fileIdentity,
  type JsonObject,
  type JsonValue,
} from '@ph-import/core'
import { type CsvError, parse } from 'csv-parse'
import type { FileParams } from './plan.js'
import {
  crlfInside,
  gzipProblem,
  newlinesInside,
  openDecoded,
  type ParsedRecord,
  parserOptions,
} from './read.js'
import type { CsvConfig } from './schema.js'

/** Whether a plain file's last byte is a line end (false for an empty file). */
async function endsWithNewline(file: string): Promise<boolean> {
  const handle = await open(file, 'r')
  try {
    const { size } = await handle.stat()
    if (size === 0) return false
    const byte = Buffer.alloc(1)
    await handle.read(byte, 0, 1, size - 1)
    return byte[0] === 0x0a || byte[0] === 0x0d
  } finally {
    await handle.close()
  }
}

/**
 * Whether a quoted value that spans lines holds what looks like rows: a line after its first with all but
 * one of a row's values (the last one's start closes the quote). The mark of a stray quote that swallowed
 * the rows after it.
 */
function swallowsRows(record: readonly string[], delimiter: string, columns: number): boolean {
  // With fewer columns, a note holding a comma on its second line would look the same.
  if (columns < 4) return false
  for (const value of record) {
    if (!value.includes('\n')) continue
    for (const line of value.split('\n').slice(1))
      if (line.split(delimiter).length >= columns - 1) return true
  }
  return false
}

/** The parser's records, with a gzip error on the way named after the file. */
async function* named<T>(records: AsyncIterable<T>, name: string): AsyncIterable<T> {
  try {
    yield* records
  } catch (error) {
    throw gzipProblem(error, name)
  }
}

/** One staged row: self-contained, so a dead letter can be re-processed without the file. */
export interface CsvRow {
  /** The file as the user named it (relative path). */
  file: string
  /** The file's content identity (for `uuidFrom: file-row | file-line`). */
  fileId: string
  /** Physical line the row starts on (1-based, header included). */
  line: number
  /** Header → value. A column the row is too short for is absent; an empty cell is "". */
  values?: Record<string, string>
  /** How many trailing columns the row lacks. */
  missing?: number
  /** Values beyond the header's columns. */
  extra?: string[]
  /** Set when the parser could not read the row. */
  error?: { code: string; message: string }
}

/** Where the next row starts; lets a crash resume mid-file without re-staging what was staged. */
export interface CsvCursor {
  /** Decoded byte offset of the next row (for gzip: in the decompressed stream). */
  offset: number
  /** Physical line of the last row read. */
  line: number
  /** Rows so far that were shorter than the header (for the end-of-file notice). */
  shortRows: number
  /** The line of the first of them, so the notice can point at one. */
  firstShortLine?: number | undefined
}

function toCursor(c: CsvCursor): JsonValue {
  return {
    offset: c.offset,
    line: c.line,
    shortRows: c.shortRows,
    ...(c.firstShortLine !== undefined ? { firstShortLine: c.firstShortLine } : {}),
  } satisfies JsonObject
}

function fromCursor(value: JsonValue | undefined): CsvCursor | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined
  const { offset, line, shortRows, firstShortLine } = value
  if (typeof offset !== 'number' || typeof line !== 'number') return undefined
  return {
    offset,
    line,
    shortRows: typeof shortRows === 'number' ? shortRows : 0,
    firstShortLine: typeof firstShortLine === 'number' ? firstShortLine : undefined,
  }
}

/** csv-parse copies its counters onto the error object. */
function counter(error: CsvError, key: 'bytes' | 'lines' | 'empty_lines'): number | undefined {
  const value = error[key]
  return typeof value === 'number' ? value : undefined
}

function isBlank(record: readonly string[]): boolean {
  return record.every((v) => v.trim() === '')
}

/** A row → its staged form: values keyed by column, the raggedness noted. */
function toRow(record: string[], params: FileParams, line: number): CsvRow {
  const { columns } = params
  const values: Record<string, string> = {}
  const n = Math.min(record.length, columns.length)
  for (let i = 0; i < n; i++) values[columns[i]!] = record[i]!
  const row: CsvRow = { file: params.name, fileId: params.fileId, line, values }
  // Bytes that are not UTF-8 decode to U+FFFD: sending that would rewrite ids and values for good (two
  // different broken ids become one person), so the row is dead-lettered instead, like the JSON-lines reader.
  const broken = record.findIndex((v) => v.includes('\uFFFD'))
  if (broken >= 0) {
    const column = columns[broken] ?? `#${broken + 1}`
    row.error = {
      code: 'invalid_utf8',
      message: `column ${JSON.stringify(column)} holds bytes that are not valid UTF-8 (decoded as U+FFFD)`,
    }
  }
  if (record.length < columns.length) row.missing = columns.length - record.length
  else if (record.length > columns.length) {
    const extra = record.slice(columns.length)
    // A trailing delimiter (`a,b,c,`) is how some spreadsheets end every row: not extra data.
    if (!isBlank(extra)) row.extra = extra
  }
  return row
}

/**
 * Streams one file's rows, page by page, each page carrying the offset of the row after it. Memory is
 * one page plus the parser's buffer, whatever the file's size. Rows the parser refuses become rows with
 * an `error`, so the transform dead-letters them with their line and the file goes on.
 */
export async function* exportFile(ctx: ExportContext<CsvConfig>): AsyncGenerator<ExportPage<CsvRow>> {
  const params = ctx.partition.params as FileParams
  if ((await fileIdentity(params.path)) !== params.fileId) {
    throw new FatalError(`${params.name} changed since this import job was planned`, {
      hint: 'resuming would mix two versions of the file; start the job over with --fresh',
    })
  }
  const resume = fromCursor(ctx.cursor)
  const start = resume?.offset ?? params.dataOffset
  const firstLine = resume?.line ?? params.dataLine
  let shortRows = resume?.shortRows ?? 0
  let firstShortLine = resume?.firstShortLine
  const parser = openDecoded(
    params.path,
    params.gzip,
    start,
    parse({ ...parserOptions(params.delimiter, ctx.config.maxRowBytes), bom: start === 0 }),
    params.encoding,
  )
  const failures: CsvError[] = []
  parser.on('skip', (error: CsvError) => failures.push(error))

  // csv-parse's counters restart with every stream: line numbers are `firstLine + info.lines`, less
  // the CRLFs inside quoted values it counted twice.
  let doubleCounted = 0
  let lastLine = firstLine
  let emptyLinesSeen = 0
  let page: CsvRow[] = []
  let nextOffset = start

  const takeFailures = (before: number | undefined) => {
    while (failures.length > 0 && (before === undefined || (counter(failures[0]!, 'bytes') ?? 0) < before)) {
      const failure = failures.shift()!
      const line =
        lastLine + 1 + Math.max(0, (counter(failure, 'empty_lines') ?? emptyLinesSeen) - emptyLinesSeen)
      if (failure.code === 'CSV_MAX_RECORD_SIZE') {
        throw new FatalError(
          `${params.name} line ${line}: a row is larger than ${ctx.config.maxRowBytes} bytes (usually a quote that is never closed)`,
          { hint: 'fix the quoting in the file, or raise --max-row-bytes if rows really are this big' },
        )
      }
      const unclosed = failure.code === 'CSV_QUOTE_NOT_CLOSED'
      const through = firstLine + (counter(failure, 'lines') ?? 0) - doubleCounted
      page.push({
        file: params.name,
        fileId: params.fileId,
        line,
        error: {
          code: unclosed ? 'unclosed_quote' : 'unparsable_row',
          message: unclosed
            ? `a quoted value opened on line ${line} is never closed: the ${Math.max(0, through - line)} line(s) after it, to the end of the file, were read into that value and none of them imported`
            : failure.message,
        },
      })
      lastLine = through
    }
  }
  let lastRow: CsvRow | undefined
  let swallowing = 0
  let firstSwallowing: number | undefined

  for await (const { record, info } of named(parser as AsyncIterable<ParsedRecord>, params.name)) {
    if (ctx.signal.aborted) return
    takeFailures(info.bytes)
    doubleCounted += crlfInside(record)
    const endLine = firstLine + info.lines - doubleCounted
    lastLine = endLine
    emptyLinesSeen = info.empty_lines
    nextOffset = start + info.bytes
    if (isBlank(record)) continue
    const row = toRow(record, params, endLine - newlinesInside(record))
    lastRow = row
    if (swallowsRows(record, params.delimiter, params.columns.length)) {
      swallowing++
      firstSwallowing ??= row.line
    }
    if (row.missing) {
      shortRows++
      firstShortLine ??= row.line
    }
    page.push(row)
    if (page.length >= ctx.config.pageSize) {
      yield {
        records: page,
        cursor: toCursor({ offset: nextOffset, line: lastLine, shortRows, firstShortLine }),
      }
      page = []
    }
  }
  takeFailures(undefined)
  // A short last row with no line end is a file still being written (or cut): imported, it would stay a
  // truncated event, and the complete row sent later a second one (its values, so its uuid, differ).
  if (
    lastRow?.missing &&
    // In a file of short rows, a short last one is like the others.
    shortRows === 1 &&
    page.at(-1) === lastRow &&
    !params.gzip &&
    params.encoding === undefined &&
    !(await endsWithNewline(params.path))
  ) {
    shortRows--
    page[page.length - 1] = {
      file: params.name,
      fileId: params.fileId,
      line: lastRow.line,
      error: {
        code: 'incomplete_last_row',
        message: `the last line has ${params.columns.length - lastRow.missing} of ${params.columns.length} values and no line end: the file looks cut short or still being written`,
      },
    }
  }
  if (swallowing > 0)
    ctx.warn(
      `${params.name}: ${swallowing} row(s) hold a quoted value running over lines that look like whole rows (the first on line ${firstSwallowing}): a quote that is never closed where it should be merges the rows after it into one value; check that line`,
    )
  // No cursor on the last page: it may hold parser failures past the last row's offset, and the
  // export's completion commits it anyway.
  if (page.length > 0) yield { records: page }
  if (shortRows > 0 && !ctx.config.strictColumns) {
    ctx.warn(
      `${params.name}: ${shortRows} row(s) had fewer values than the header${firstShortLine !== undefined ? ` (the first on line ${firstShortLine})` : ''}; the missing columns were left out (--strict-columns rejects such rows instead)`,
    )
  }
}
