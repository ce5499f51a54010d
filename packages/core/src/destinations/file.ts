import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs'
import path from 'node:path'
import { z } from 'zod'
import type { Destination } from '../contracts/destination.js'

export const FileDestinationConfig = z.object({
  path: z.string().min(1).describe('JSON-lines file the events are appended to'),
})
export type FileDestinationConfig = z.infer<typeof FileDestinationConfig>

/**
 * Appends each acknowledged batch to a JSON-lines file (fsynced before acknowledging). Used by
 * `--dry-run` and for offline output. Like PostHog, it may receive a batch twice after a crash
 * between write and checkpoint; the uuids make that visible and harmless.
 */
export function createFileDestination(config: FileDestinationConfig): Destination {
  mkdirSync(path.dirname(path.resolve(config.path)), { recursive: true })
  let fd: number | undefined
  return {
    name: 'file',
    describe: () => `file ${config.path}`,
    async send(batch) {
      fd ??= openSync(config.path, 'a')
      writeSync(fd, `${batch.lines.join('\n')}\n`)
      fsyncSync(fd)
    },
    async close() {
      if (fd !== undefined) closeSync(fd)
      fd = undefined
    },
  }
}
