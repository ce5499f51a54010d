import path from 'node:path'
import { ConfigError, expandFiles, fileIdentity, type Partition, type SourceContext } from '@ph-import/core'
import {
  bomLength,
  detectDelimiter,
  gzipProblem,
  isGzipFile,
  isUtf8Text,
  looksSingleByte,
  readHead,
  readHeader,
  utf16Encoding,
} from './read.js'
import { type CsvConfig, normalizeDelimiter } from './schema.js'

/** What export needs to know about one file; stored in the plan, so a resume reads it identically. */
export interface FileParams {
  /** Absolute path. */
  path: string
  /** Path relative to the working directory (posix): what reports and dead letters show. */
  name: string
  /** Content identity (size + hash of the first MiB): detects a file changed under a job. */
  fileId: string
  gzip: boolean
  /** Text encoding; absent in jobs planned before it existed (UTF-8). */
  encoding?: string
  delimiter: string
  columns: string[]
  dataOffset: number
  dataLine: number
  [key: string]: string | number | boolean | string[]
}

/** Relative to the working directory when the file is under it, else absolute. */
function displayName(file: string): string {
  const relative = path.relative(process.cwd(), file)
  const name = relative === '' || relative.startsWith('..') || path.isAbsolute(relative) ? file : relative
  return name.split(path.sep).join('/')
}

/** Columns the mapping requires in every file; a missing one stops before anything is imported. */
function requiredColumns(config: CsvConfig): Array<[string, string]> {
  const required: Array<[string, string]> = [
    [config.distinctIdColumn, '--distinct-id-column'],
    [config.timestampColumn, '--timestamp-column'],
  ]
  if (config.event === undefined)
    required.unshift([config.eventColumn, '--event-column (or a constant --event)'])
  if (config.idColumn) required.push([config.idColumn, '--id-column'])
  return required
}

function optionalColumns(config: CsvConfig): string[] {
  return [
    ...(config.properties ?? []),
    ...config.set,
    ...config.setOnce,
    ...Object.keys(config.rename),
    ...Object.keys(config.types),
    ...Object.keys(config.groups ?? {}),
  ]
}

/**
 * One partition per file, in sorted path order. The key is the path as shown (relative to the working
 * directory when under it): unique within the job, readable in reports, and the same every time the
 * command is re-run. Uuids do not depend on it (see transform.ts), so moving a file changes nothing.
 * The header is read here so a wrong column name fails before any export starts.
 */
export async function planFiles(ctx: SourceContext<CsvConfig>): Promise<Partition[]> {
  const { config } = ctx
  const files = await expandFiles(config.files)
  const partitions: Partition[] = []
  for (const file of files) {
    const name = displayName(file)
    const gzip = await isGzipFile(file)
    const named = <T>(reading: Promise<T>) =>
      reading.catch((error: unknown) => {
        throw gzipProblem(error, name)
      })
    const head = await named(readHead(file, gzip, undefined, config.encoding))
    const utf16 = utf16Encoding(head)
    if (utf16)
      throw new ConfigError(`${name} is ${utf16} text, not UTF-8`, {
        hint: 'save it as "CSV UTF-8" (Excel) or convert it: iconv -f UTF-16 -t UTF-8 <file> > <file>.utf8.csv',
      })
    // The other way round, a UTF-8 file read as Windows-1252 imports "RenÃ©" for René, with no error.
    if (config.encoding !== 'utf-8' && isUtf8Text(await named(readHead(file, gzip))))
      throw new ConfigError(
        `${name} is UTF-8 text: read as ${config.encoding}, its accented letters would be garbled`,
        {
          hint: `leave out --encoding ${config.encoding} for this file (UTF-8 is the default)`,
        },
      )
    // Read as UTF-8, every row with an accent would be dead-lettered (invalid_utf8) and the import end "done".
    if (config.encoding === 'utf-8' && looksSingleByte(head))
      throw new ConfigError(
        `${name} is not UTF-8: its accented letters are single bytes (Windows-1252 or Latin-1 text)`,
        {
          hint: 'pass --encoding windows-1252 (what Excel saves as "CSV" on Windows), or save the file as "CSV UTF-8"',
        },
      )
    const delimiter =
      config.delimiter === 'auto' ? detectDelimiter(head, file) : normalizeDelimiter(config.delimiter)
    const header = config.columns
      ? { columns: config.columns, dataOffset: bomLength(head), dataLine: 0, renamed: [] }
      : await named(readHeader(file, gzip, delimiter, config.maxRowBytes, config.encoding))
    if (!header) {
      ctx.warn(`${name} is empty: skipped`)
      continue
    }
    if (header.renamed.length > 0) ctx.warn(`${name}: header names changed: ${header.renamed.join(', ')}`)
    const present = new Set(header.columns)
    const missing = requiredColumns(config).filter(([column]) => !present.has(column))
    if (missing.length > 0) {
      const names = missing.map(([column]) => JSON.stringify(column)).join(', ')
      const oneColumn = header.columns.length === 1 && config.delimiter === 'auto'
      throw new ConfigError(
        `${name} has no column ${names} (its columns are: ${header.columns.join(', ')})`,
        {
          hint: `name the columns with ${missing.map(([, flag]) => flag).join(', ')}${oneColumn ? ', or give --delimiter' : ''}`,
        },
      )
    }
    const absent = [...new Set(optionalColumns(config))].filter((c) => !present.has(c))
    if (absent.length > 0)
      ctx.warn(`${name} has no column ${absent.map((c) => JSON.stringify(c)).join(', ')}`)
    // A column renamed onto another column's name: two values for one property, and one is lost.
    for (const [from, to] of Object.entries(config.rename))
      if (from !== to && present.has(from) && present.has(to) && config.rename[to] === undefined)
        ctx.warn(
          `${name}: --rename ${from}=${to} names a property after the column "${to}", which has its own: one of the two values is lost (rename "${to}" too, or pick another name)`,
        )
    const params: FileParams = {
      path: file,
      name,
      fileId: await fileIdentity(file),
      gzip,
      ...(config.encoding === 'utf-8' ? {} : { encoding: config.encoding }),
      delimiter,
      columns: header.columns,
      dataOffset: header.dataOffset,
      dataLine: header.dataLine,
    }
    partitions.push({ key: name, params })
  }
  return partitions
}
