import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

export function tempDir(prefix = 'ph-import-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix))
}

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
