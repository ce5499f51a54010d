import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { runConformance } from '@ph-import/testkit'
import { afterAll } from 'vitest'
import jsonlSource from '../src/index.js'

// Over two 5,000-line pages per plain file: the resume check stops mid-file (byte-offset cursor) and
// again in the next file; the gzipped file has no cursor and is re-read whole.
const LINES_PER_FILE = 11_000
const dir = mkdtempSync(path.join(tmpdir(), 'ph-jsonl-conformance-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function eventLine(file: number, i: number): string {
  const at = Date.UTC(2024, 2, 1 + file) + i * 7_000
  return JSON.stringify({
    event: i % 5 === 0 ? '$pageview' : 'clicked',
    distinct_id: `user-${i % 97}`,
    timestamp: i % 2 === 0 ? new Date(at).toISOString() : at,
    // A third of the lines carry their own uuid; the rest get one from their content.
    ...(i % 3 === 0 ? { uuid: `0190a8b4-5a9c-7f3e-9c1d-${String(file * 1e6 + i).padStart(12, '0')}` } : {}),
    properties: {
      $current_url: `https://example.com/${i % 13}`,
      n: i,
      ...(i % 50 === 0 ? { $set: { plan: 'pro' } } : {}),
    },
  })
}

function writeFile(name: string, file: number, count: number, gzip = false): string {
  const lines = Array.from({ length: count }, (_, i) => eventLine(file, i))
  // One broken line per file: it must be dead-lettered the same way on every run.
  lines.splice(count >> 1, 0, '{"event": "cut short", "distinct_id": ')
  const text = `${lines.join('\n')}\n`
  const target = path.join(dir, name)
  writeFileSync(target, gzip ? gzipSync(text) : text)
  return target
}

const files = [
  writeFile('a.jsonl', 1, LINES_PER_FILE),
  writeFile('b.ndjson', 2, LINES_PER_FILE),
  writeFile('c.jsonl.gz', 3, 300, true),
]

runConformance({
  source: jsonlSource,
  config: () => ({ files }),
  // Every line of the three files, the broken one of each included.
  expectedRecords: () => 2 * (LINES_PER_FILE + 1) + 301,
  invalidConfigs: [
    { files: [] },
    { files: [path.join(dir, 'missing-*.jsonl')] },
    { files: 'a.jsonl', eventKey: 7 },
  ],
})
