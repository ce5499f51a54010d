import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

/** A fresh directory under the OS temp dir, for a test's job state and output. */
export function tempDir(prefix = 'ph-import-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix))
}

/** Every JSON line of a file (a file destination's output, rejects.jsonl); [] when it does not exist. */
export function readJsonLines<T = Record<string, unknown>>(file: string): T[] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return []
  }
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as T)
}
