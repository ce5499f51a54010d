import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import type { Writable } from 'node:stream'
import { createGzip } from 'node:zlib'

export interface SyntheticCsvOptions {
  rows: number
  /** Gzip the output (name it `.csv.gz`). */
  gzip?: boolean
  /** Default `,`. */
  delimiter?: string
  /** Default `\n`. */
  newline?: string
  /** Epoch ms of row 0; rows are one second apart, so every row is distinct. Default 2024-01-01. */
  startMs?: number
}

const EVENTS = ['page_view', 'signup', 'purchase', 'button_clicked']

/** Row `i` of the synthetic file, as fields (before quoting). */
export function syntheticRow(i: number, startMs = Date.UTC(2024, 0, 1)): string[] {
  // Every 97th row carries a value with the delimiter, a quote and a newline: quoting at scale.
  const note = i % 97 === 0 ? `line one, "quoted"\nline two` : `note ${i}`
  return [EVENTS[i % EVENTS.length]!, `user-${i % 1000}`, String(startMs + i * 1000), String(i), note]
}

export const SYNTHETIC_HEADER = ['event', 'distinct_id', 'timestamp', 'n', 'note']

function quote(value: string, delimiter: string): string {
  return /["\r\n]/.test(value) || value.includes(delimiter) ? `"${value.replace(/"/g, '""')}"` : value
}

/**
 * Writes a deterministic CSV of `rows` events (streamed: any size in flat memory). For tests and
 * benchmarks of the CSV connector and the runtime; columns are SYNTHETIC_HEADER.
 */
export async function writeSyntheticCsv(file: string, options: SyntheticCsvOptions): Promise<void> {
  const delimiter = options.delimiter ?? ','
  const newline = options.newline ?? '\n'
  const fileStream = createWriteStream(file)
  const gzip = options.gzip ? createGzip({ level: 1 }) : undefined
  if (gzip) gzip.pipe(fileStream)
  const out: Writable = gzip ?? fileStream
  const lines: string[] = [SYNTHETIC_HEADER.join(delimiter)]
  for (let i = 0; i < options.rows; i++) {
    lines.push(
      syntheticRow(i, options.startMs)
        .map((v) => quote(v, delimiter))
        .join(delimiter),
    )
    if (lines.length >= 2000) {
      if (!out.write(lines.join(newline) + newline)) await once(out, 'drain')
      lines.length = 0
    }
  }
  if (lines.length > 0) out.write(lines.join(newline) + newline)
  out.end()
  await once(fileStream, 'close')
}
