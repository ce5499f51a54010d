import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { runConformance } from '@ph-import/testkit'
import { afterAll } from 'vitest'
import csvSource from '../src/index.js'

// Several 2,000-row pages per file: the resume check stops mid-file (byte-offset cursor; for the
// gzipped file an offset into the decompressed stream) and again further along.
const ROWS_PER_FILE = 9_000
const dir = mkdtempSync(path.join(tmpdir(), 'ph-csv-conformance-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function row(file: number, i: number, d: string): string {
  const at = Date.UTC(2024, 2, 1 + file) + i * 7_000
  const time = i % 3 === 0 ? new Date(at).toISOString() : i % 3 === 1 ? String(at) : String(at / 1000)
  const note = i % 11 === 0 ? `"multi${d} line\nvalue ""${i}"""` : `n${i}`
  return [i % 5 === 0 ? '$pageview' : 'clicked', `user-${i % 97}`, time, String(i), note].join(d)
}

function writeCsv(name: string, file: number, d: string, gzip = false): string {
  const lines = [['event', 'distinct_id', 'timestamp', 'n', 'note'].join(d)]
  for (let i = 0; i < ROWS_PER_FILE; i++) lines.push(row(file, i, d))
  // One bad row per file: it must be dead-lettered the same way on every run.
  lines.splice(ROWS_PER_FILE >> 1, 0, ['clicked', 'user-1', '2024-02-30 00:00:00', '-1', 'bad'].join(d))
  const text = `${lines.join('\r\n')}\r\n`
  const target = path.join(dir, name)
  writeFileSync(target, gzip ? gzipSync(text) : text)
  return target
}

const files = [writeCsv('a.csv', 1, ','), writeCsv('b.csv.gz', 2, ';', true), writeCsv('c.tsv', 3, '\t')]

runConformance({
  source: csvSource,
  config: () => ({ files, types: { n: 'number' } }),
  // Every row of the three files, the bad one of each included.
  expectedRecords: () => files.length * (ROWS_PER_FILE + 1),
  invalidConfigs: [
    { files: [] },
    { files: [path.join(dir, 'missing-*.csv')] },
    { files, timezone: 'Not/AZone' },
    { files, distinctIdColumn: 'user_id' },
  ],
})
