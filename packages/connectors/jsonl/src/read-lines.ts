import { createReadStream } from 'node:fs'
import { createGunzip } from 'node:zlib'
import type { ExportPage, JsonValue } from '@ph-import/core'
import type { RawJsonlLine } from './schema.js'

const PAGE = 5000
/**
 * A line longer than this is not read into memory: it is dead-lettered by its length. PostHog refuses an
 * event over 1 MB anyway, and a file without newlines (a JSON array pretty-printed on one line, a binary
 * file) would otherwise be held whole, then fail with "Invalid string length".
 */
export const MAX_LINE_BYTES = 16 * 1024 * 1024
const utf8 = new TextDecoder('utf-8', { fatal: true })

function decode(bytes: Buffer): string | null {
  try {
    return utf8.decode(bytes)
  } catch {
    return null
  }
}

/**
 * Pages of lines with their line numbers. Plain files resume from a byte offset (the cursor); gzipped
 * files cannot be entered mid-stream cheaply, so they are re-read whole after a crash.
 */
export async function* readLinePages(
  file: { path: string; rel: string; fileId: string; gz: boolean },
  cursor: { offset: number; line: number } | undefined,
): AsyncIterable<ExportPage<RawJsonlLine>> {
  const start = file.gz ? { offset: 0, line: 0 } : (cursor ?? { offset: 0, line: 0 })
  const raw = createReadStream(file.path, { start: start.offset, highWaterMark: 1 << 20 })
  const input: AsyncIterable<Buffer> = file.gz ? raw.pipe(createGunzip()) : raw
  let line = start.line
  let offset = start.offset
  let carry = Buffer.alloc(0)
  // Bytes of an over-long line seen so far, while skipping to its end.
  let skipping = 0
  let page: RawJsonlLine[] = []
  const emit = (bytes: Buffer) => {
    line++
    offset += bytes.length + 1
    const trimmed = bytes.length > 0 && bytes[bytes.length - 1] === 0x0d ? bytes.subarray(0, -1) : bytes
    if (trimmed.length > 0) page.push({ file: file.rel, fileId: file.fileId, line, text: decode(trimmed) })
  }
  const cursorNow = (): JsonValue | undefined => (file.gz ? undefined : { offset, line })
  const emitTooLong = (bytes: number) => {
    line++
    offset += bytes + 1
    page.push({ file: file.rel, fileId: file.fileId, line, text: null, tooLong: bytes })
  }
  for await (const chunk of input) {
    let buf: Buffer = chunk
    if (skipping > 0) {
      const nl = chunk.indexOf(0x0a)
      if (nl === -1) {
        skipping += chunk.length
        continue
      }
      emitTooLong(skipping + nl)
      skipping = 0
      // The lines after it in this chunk are read as any others.
      buf = chunk.subarray(nl + 1)
    } else if (carry.length > 0) buf = Buffer.concat([carry, chunk])
    let from = 0
    for (let nl = buf.indexOf(0x0a, from); nl !== -1; nl = buf.indexOf(0x0a, from)) {
      if (nl - from > MAX_LINE_BYTES) emitTooLong(nl - from)
      else emit(buf.subarray(from, nl))
      from = nl + 1
      if (page.length >= PAGE) {
        const c = cursorNow()
        yield c === undefined ? { records: page } : { records: page, cursor: c }
        page = []
      }
    }
    carry = Buffer.from(buf.subarray(from))
    if (carry.length > MAX_LINE_BYTES) {
      skipping = carry.length
      carry = Buffer.alloc(0)
    }
  }
  if (skipping > 0) {
    emitTooLong(skipping)
    offset -= 1
  } else if (carry.length > 0) {
    emit(carry)
    offset -= 1 // the last line had no newline
  }
  if (page.length > 0) {
    const c = cursorNow()
    yield c === undefined ? { records: page } : { records: page, cursor: c }
  }
}
