import { gzipSync } from 'node:zlib'
import yazl from 'yazl'
import type { FakeAmplitudeRow } from './fake-data.js'

export interface ZipLayout {
  projectId: number
  /** Rows per `.json.gz` part; a busy hour has several parts. */
  rowsPerPart: number
  /** Part numbering base: real archives start at `#0`, the docs' example at `#1`. */
  partBase: 0 | 1
  /** Replace one entry's gzip bytes with garbage (the zip itself stays valid). */
  corruptEntry?: boolean
}

/** `YYYY-MM-DD HH:...` → `[date, hour]` of the upload hour, as used in entry names (hour not padded). */
function uploadHour(row: FakeAmplitudeRow): [string, number] {
  return [row.server_upload_time.slice(0, 10), Number(row.server_upload_time.slice(11, 13))]
}

/** Builds the export archive: `{project}/{project}_{yyyy-MM-dd}_{H}#{n}.json.gz`, each gzipped JSONL. */
export async function buildExportZip(rows: readonly FakeAmplitudeRow[], layout: ZipLayout): Promise<Buffer> {
  const zip = new yazl.ZipFile()
  const folder = String(layout.projectId)
  zip.addEmptyDirectory(`${folder}/`)
  const byHour = new Map<string, FakeAmplitudeRow[]>()
  for (const row of rows) {
    const [date, hour] = uploadHour(row)
    const key = `${date}_${hour}`
    const list = byHour.get(key) ?? []
    list.push(row)
    byHour.set(key, list)
  }
  let corrupted = !layout.corruptEntry
  for (const [key, hourRows] of byHour) {
    for (let i = 0, part = layout.partBase; i < hourRows.length; i += layout.rowsPerPart, part++) {
      const lines = hourRows.slice(i, i + layout.rowsPerPart).map((r) => JSON.stringify(r))
      let gz = gzipSync(`${lines.join('\n')}\n`)
      if (!corrupted) {
        // Keep the gzip header so it starts like gzip, then break the deflate stream and CRC.
        gz = Buffer.concat([gz.subarray(0, 10), Buffer.alloc(gz.length - 10, 0xa5)])
        corrupted = true
      }
      // Amplitude's entries are already gzipped; store them as is.
      zip.addBuffer(gz, `${folder}/${folder}_${key}#${part}.json.gz`, { compress: false })
    }
  }
  zip.end()
  const chunks: Buffer[] = []
  for await (const chunk of zip.outputStream as AsyncIterable<Buffer>) chunks.push(chunk)
  return Buffer.concat(chunks)
}
