import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import {
  createFileDestination,
  type PostHogEvent,
  type RunImportOptions,
  type RunResult,
  runImport,
} from '@ph-import/core'
import { readJsonLines, tempDir as testkitTempDir } from '@ph-import/testkit'
import { csvSource } from '../src/index.js'

export { readJsonLines } from '@ph-import/testkit'

export function tempDir(prefix = 'ph-import-csv-'): string {
  return testkitTempDir(prefix)
}

export interface Reject {
  partition: string
  code: string
  message: string
  record: { file: string; line: number; values?: Record<string, string> }
}

export interface CsvImport {
  result: RunResult
  events: PostHogEvent[]
  rejects: Reject[]
  dir: string
}

/** Writes `files` (name → text or bytes; `.gz` names are gzipped) into a fresh directory. */
export function writeFiles(files: Record<string, string | Buffer>, dir = tempDir()): string {
  for (const [name, content] of Object.entries(files)) {
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content
    writeFileSync(path.join(dir, name), name.endsWith('.gz') ? gzipSync(bytes) : bytes)
  }
  return dir
}

/** Runs a real import job (plan → export → transform → load) into a JSON-lines file. */
export async function importFiles(
  dir: string,
  config: Record<string, unknown>,
  options: Partial<RunImportOptions> = {},
): Promise<CsvImport> {
  const out = path.join(dir, 'out.jsonl')
  const files = (config.files as string[] | undefined) ?? []
  const result = await runImport({
    source: csvSource,
    config: { ...config, files: files.map((f) => path.join(dir, f)) },
    destination: createFileDestination({ path: out }),
    stateDir: path.join(dir, 'state'),
    rate: 10_000_000,
    ...options,
  })
  return {
    result,
    events: readJsonLines<PostHogEvent>(out),
    rejects: readJsonLines<Reject>(path.join(result.jobDir, 'rejects.jsonl')),
    dir,
  }
}

/** One CSV text → an import with `config`; the file is `data.csv` unless `name` says otherwise. */
export async function importCsv(
  text: string | Buffer,
  config: Record<string, unknown> = {},
  name = 'data.csv',
): Promise<CsvImport> {
  const dir = writeFiles({ [name]: text })
  return importFiles(dir, { files: [name], ...config })
}

export const HEADER = 'event,distinct_id,timestamp'
