import { createReadStream } from 'node:fs'
import { open } from 'node:fs/promises'
import { pipeline, type Readable, Transform } from 'node:stream'
import { createGunzip } from 'node:zlib'
import { FatalError } from '@ph-import/core'
import { type Options, parse } from 'csv-parse'

const READ_CHUNK = 256 * 1024

/** gzip is recognised by its magic bytes (1f 8b), not the name: `.csv.gz`, `.tgz`-style names all work. */
export async function isGzipFile(file: string): Promise<boolean> {
  const handle = await open(file, 'r')
  try {
    const magic = Buffer.alloc(2)
    const { bytesRead } = await handle.read(magic, 0, 2, 0)
    return bytesRead === 2 && magic[0] === 0x1f && magic[1] === 0x8b
  } finally {
    await handle.close()
  }
}

/**
 * zlib's error on a gzip file cut short or corrupt ("unexpected end of file"), named and final: a retry
 * would read the same bytes. Any other error is returned as it is.
 */
export function gzipProblem(error: unknown, name: string): unknown {
  const code = (error as { code?: unknown })?.code
  if (typeof code !== 'string' || !code.startsWith('Z_')) return error
  return new FatalError(`${name}: the gzip data is cut short or corrupt (${(error as Error).message})`, {
    cause: error,
    hint: 'copy or download the file again (`gzip -t` checks one), or leave it out of --files',
  })
}

/** Drops the first `count` bytes of a stream: resuming a gzip file at a decompressed offset. */
function skipBytes(count: number): Transform {
  let left = count
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (left >= chunk.length) {
        left -= chunk.length
        done()
        return
      }
      const rest = left > 0 ? chunk.subarray(left) : chunk
      left = 0
      done(null, rest)
    },
  })
}

/** A single-byte encoding's text as UTF-8: what the parser, the offsets and the staged rows are in. */
function toUtf8(encoding: string): Transform {
  const decoder = new TextDecoder(encoding)
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      done(null, Buffer.from(decoder.decode(chunk, { stream: true }), 'utf8'))
    },
    flush(done) {
      const rest = decoder.decode()
      done(null, rest === '' ? undefined : Buffer.from(rest, 'utf8'))
    },
  })
}

/**
 * The file's decoded bytes from `offset` on, as a list of streams to pipe in order. A plain UTF-8 file
 * seeks; a gzip stream cannot, nor can text in another encoding (offsets count its UTF-8 bytes), so those
 * are decoded from the start and the first `offset` bytes dropped (CPU only: nothing before the offset
 * is parsed or staged again).
 */
function decodedStreams(
  file: string,
  gzip: boolean,
  offset: number,
  encoding: string,
): Array<Readable | Transform> {
  const utf8 = encoding === 'utf-8'
  if (!gzip && utf8) return [createReadStream(file, { start: offset, highWaterMark: READ_CHUNK })]
  const streams: Array<Readable | Transform> = [createReadStream(file, { highWaterMark: READ_CHUNK })]
  if (gzip) streams.push(createGunzip({ chunkSize: 64 * 1024 }))
  if (!utf8) streams.push(toUtf8(encoding))
  if (offset > 0) streams.push(skipBytes(offset))
  return streams
}

/**
 * The decoded bytes from `offset` through `tail` (a parser), joined with pipeline so a read or gunzip
 * error reaches the consumer of `tail` instead of leaving it waiting, and an early `break` by the
 * consumer closes the file.
 */
export function openDecoded<T extends Transform>(
  file: string,
  gzip: boolean,
  offset: number,
  tail: T,
  encoding = 'utf-8',
): T {
  // The callback only swallows the error here: it is re-raised to whoever iterates `tail`.
  return pipeline([...decodedStreams(file, gzip, offset, encoding), tail], () => {}) as T
}

/** The first `max` decoded bytes (fewer for a short file). */
export async function readHead(
  file: string,
  gzip: boolean,
  max = 64 * 1024,
  encoding = 'utf-8',
): Promise<Buffer> {
  const stream = openDecoded(
    file,
    gzip,
    0,
    new Transform({ transform: (c, _e, done) => done(null, c) }),
    encoding,
  )
  const chunks: Buffer[] = []
  let size = 0
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      chunks.push(chunk)
      size += chunk.length
      if (size >= max) break
    }
  } finally {
    stream.destroy()
  }
  return Buffer.concat(chunks).subarray(0, max)
}

/** Whether the head holds characters that are UTF-8 beyond ASCII, and no byte that is not UTF-8. */
export function isUtf8Text(head: Buffer): boolean {
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, Math.max(0, head.length - 3)))
  } catch {
    return false
  }
  for (const ch of text) if (ch.charCodeAt(0) > 0x7f && ch !== '\uFEFF') return true
  return false
}

/**
 * Whether a UTF-8 file's head is text in a single-byte encoding instead (Excel's "CSV" on Windows: `Ren\xE9`
 * for René): bytes that are not UTF-8, no character that is, and the high bytes in runs of one to three
 * among ASCII ones, as accents are. Binary garbage (control bytes, runs of high bytes) and UTF-8 with a few broken
 * bytes are not: their rows are dead-lettered one by one, and the rest imported.
 */
export function looksSingleByte(head: Buffer): boolean {
  // A multi-byte character cut at the end of the head is not a broken one.
  const text = new TextDecoder('utf-8').decode(head.subarray(0, Math.max(0, head.length - 3)))
  let broken = false
  for (const ch of text) {
    if (ch === '\uFFFD') broken = true
    else if (ch.charCodeAt(0) > 0x7f && ch !== '\uFEFF') return false
  }
  if (!broken) return false
  // Text around an accent: printable ASCII, or the tab or line end a value ends at.
  const printable = (b: number | undefined) =>
    b !== undefined && ((b >= 0x20 && b < 0x7f) || b === 0x09 || b === 0x0a || b === 0x0d)
  let runs = 0
  let lone = 0
  for (let i = 0; i < head.length; i++) {
    const b = head[i] as number
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return false
    if (b < 0x80) continue
    let end = i
    while (end + 1 < head.length && (head[end + 1] as number) >= 0x80) end++
    runs++
    // Accents come one to three together ("ção", "üß") between ASCII letters, not in long runs.
    const between = printable(head[i - 1]) && (printable(head[end + 1]) || end + 1 >= head.length)
    if (end - i < 3 && between) lone++
    i = end
  }
  return runs > 0 && lone >= runs * 0.9
}

/**
 * The UTF-16 encoding a file's byte-order mark or zero bytes give away (Excel's "Unicode Text" saves
 * UTF-16 LE with a BOM), or undefined. Read as UTF-8 every other byte is a NUL, and each row would be
 * rejected for reasons that hide the cause.
 */
export function utf16Encoding(head: Buffer): 'UTF-16 LE' | 'UTF-16 BE' | undefined {
  if (head[0] === 0xff && head[1] === 0xfe) return 'UTF-16 LE'
  if (head[0] === 0xfe && head[1] === 0xff) return 'UTF-16 BE'
  // Without a BOM: ASCII text in UTF-16 has a zero in every other byte of its first characters.
  if (head.length >= 8 && head[1] === 0 && head[3] === 0 && head[0] !== 0 && head[2] !== 0) return 'UTF-16 LE'
  if (head.length >= 8 && head[0] === 0 && head[2] === 0 && head[1] !== 0 && head[3] !== 0) return 'UTF-16 BE'
  return undefined
}

export function bomLength(head: Buffer): number {
  return head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0
}

const CANDIDATES = [',', ';', '\t', '|']

/**
 * The delimiter that occurs most often (outside quotes) in the first line. `.tsv` names mean tab.
 * Spreadsheets in locales with a decimal comma write `;`, which is why this is not just `,`.
 */
export function detectDelimiter(head: Buffer, fileName: string): string {
  if (/\.tsv(\.gz)?$/i.test(fileName)) return '\t'
  const text = head.subarray(bomLength(head)).toString('utf8')
  const counts = new Map<string, number>(CANDIDATES.map((c) => [c, 0]))
  let quoted = false
  for (const ch of text) {
    if (ch === '"') quoted = !quoted
    else if (!quoted && (ch === '\n' || ch === '\r')) break
    else if (!quoted && counts.has(ch)) counts.set(ch, counts.get(ch)! + 1)
  }
  let best = ','
  for (const c of CANDIDATES) if (counts.get(c)! > counts.get(best)!) best = c
  return best
}

/** The csv-parse options every read uses, so the header read and the export parse identically. */
export function parserOptions(delimiter: string, maxRowBytes: number): Options {
  return {
    delimiter,
    info: true,
    // Quotes inside unquoted fields (5" screen, "a"b) are kept literally: real exports have them, and a
    // strict parser loses every row after the first one it refuses.
    relax_quotes: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    max_record_size: maxRowBytes,
  }
}

/** What csv-parse yields with `info: true` (the fields we read). */
export interface ParsedRecord {
  record: string[]
  info: { bytes: number; lines: number; empty_lines: number }
}

/**
 * csv-parse counts a CRLF inside a quoted value as two lines (it sees \r and \n separately), but a
 * record's own CRLF as one; subtracting these keeps reported line numbers physical.
 */
export function crlfInside(record: readonly string[]): number {
  let n = 0
  for (const value of record) {
    for (let i = value.indexOf('\r\n'); i >= 0; i = value.indexOf('\r\n', i + 2)) n++
  }
  return n
}

/** Newlines inside the values: how many physical lines a record spans beyond its first. */
export function newlinesInside(record: readonly string[]): number {
  let n = 0
  for (const value of record) {
    for (let i = value.indexOf('\n'); i >= 0; i = value.indexOf('\n', i + 1)) n++
  }
  return n
}

export interface Header {
  columns: string[]
  /** Decoded byte offset just past the header row: where data starts. */
  dataOffset: number
  /** Physical line the header ends on. */
  dataLine: number
  /** Names that had to be changed (blank or repeated), for a warning. */
  renamed: string[]
}

/** Blank names become `column_<n>`, repeats get `_2`, `_3`: every value keeps a distinct key. */
export function uniqueColumns(names: readonly string[]): { columns: string[]; renamed: string[] } {
  const seen = new Set<string>()
  const renamed: string[] = []
  const columns = names.map((raw, i) => {
    let name = raw.trim() || `column_${i + 1}`
    if (seen.has(name)) {
      let n = 2
      while (seen.has(`${name}_${n}`)) n++
      name = `${name}_${n}`
    }
    if (name !== raw) renamed.push(`${JSON.stringify(raw)} → ${name}`)
    seen.add(name)
    return name
  })
  return { columns, renamed }
}

/** Parses the first row (the header) with the export's own parser; undefined for an empty file. */
export async function readHeader(
  file: string,
  gzip: boolean,
  delimiter: string,
  maxRowBytes: number,
  encoding = 'utf-8',
): Promise<Header | undefined> {
  const parser = openDecoded(
    file,
    gzip,
    0,
    parse({ ...parserOptions(delimiter, maxRowBytes), bom: true }),
    encoding,
  )
  try {
    for await (const item of parser as AsyncIterable<ParsedRecord>) {
      const { columns, renamed } = uniqueColumns(item.record)
      const dataLine = item.info.lines - crlfInside(item.record)
      return { columns, renamed, dataOffset: item.info.bytes, dataLine }
    }
    return undefined
  } finally {
    parser.destroy()
  }
}
