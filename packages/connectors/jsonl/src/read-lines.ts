import { createReadStream } from 'node:fs'
import { createGunzip } from 'node:zlib'
import type { ExportPage, JsonValue } from '@ph-import/core'
import type { RawJsonlLine } from './schema.js'

const PAGE = 5000
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
  let page: RawJsonlLine[] = []
  const emit = (bytes: Buffer) => {
    line++
    offset += bytes.length + 1
    const trimmed = bytes.length > 0 && bytes[bytes.length - 1] === 0x0d ? bytes.subarray(0, -1) : bytes
    if (trimmed.length > 0) page.push({ file: file.rel, fileId: file.fileId, line, text: decode(trimmed) })
  }
  const cursorNow = (): JsonValue | undefined => (file.gz ? undefined : { offset, line })
  for await (const chunk of input) {
    const buf = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk
    let from = 0
    for (let nl = buf.indexOf(0x0a, from); nl !== -1; nl = buf.indexOf(0x0a, from)) {
      emit(buf.subarray(from, nl))
      from = nl + 1
      if (page.length >= PAGE) {
        const c = cursorNow()
        yield c === undefined ? { records: page } : { records: page, cursor: c }
        page = []
      }
    }
    carry = Buffer.from(buf.subarray(from))
  }
  if (carry.length > 0) {
    emit(carry)
    offset -= 1 // the last line had no newline
  }
  if (page.length > 0) {
    const c = cursorNow()
    yield c === undefined ? { records: page } : { records: page, cursor: c }
  }
}
