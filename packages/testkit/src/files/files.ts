import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

const created: string[] = []

/**
 * A fresh directory under the OS temp dir, for a test's job state and output. Removed after the test
 * file when `@ph-import/testkit/vitest-setup` is in the vitest config's `setupFiles`, or by
 * `removeTempDirs()`: staged jobs add up to gigabytes over a few runs.
 */
export function tempDir(prefix = 'ph-import-test-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix))
  created.push(dir)
  return dir
}

/** Removes every directory `tempDir` created in this process so far. */
export function removeTempDirs(): void {
  for (const dir of created.splice(0)) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 })
    } catch {
      // Cleanup never fails a test: a child process may still hold the directory; the OS tmp reaper wins.
    }
  }
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
