import {
  closeSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readSync,
  writeSync,
} from 'node:fs'
import path from 'node:path'
import { z } from 'zod'
import type { Destination } from '../contracts/destination.js'

export const FileDestinationConfig = z.object({
  path: z.string().min(1).describe('JSON-lines file the events are appended to'),
})
export type FileDestinationConfig = z.infer<typeof FileDestinationConfig>

/**
 * Cuts a torn last line off the end of the file. A SIGKILL during a large write() to a regular file
 * can leave a short write (Linux stops copying between pages when a fatal signal is pending); that
 * batch was never acknowledged, so it is sent again, and appending after half a line would corrupt
 * both the torn line and the next one.
 */
function dropTornTail(fd: number): void {
  const size = fstatSync(fd).size
  if (size === 0) return
  const block = Buffer.alloc(64 * 1024)
  let end = size
  while (end > 0) {
    const start = Math.max(0, end - block.length)
    const n = readSync(fd, block, 0, end - start, start)
    const nl = block.subarray(0, n).lastIndexOf(0x0a)
    if (nl !== -1) {
      if (start + nl + 1 < size) ftruncateSync(fd, start + nl + 1)
      return
    }
    end = start
  }
  ftruncateSync(fd, 0)
}

function writeFully(fd: number, data: Buffer): void {
  let offset = 0
  while (offset < data.length) offset += writeSync(fd, data, offset, data.length - offset)
}

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
    // A file has no rate limit: writing it at PostHog's rate would only make a preview slow.
    paced: false,
    async send(batch) {
      if (fd === undefined) {
        fd = openSync(config.path, 'a+')
        dropTornTail(fd)
      }
      const parts: Uint8Array[] = []
      for (const line of batch.raw ?? batch.lines.map((l) => Buffer.from(l, 'utf8')))
        parts.push(line, NEWLINE)
      writeFully(fd, Buffer.concat(parts))
      fsyncSync(fd)
    },
    async close() {
      if (fd !== undefined) closeSync(fd)
      fd = undefined
    },
  }
}

const NEWLINE = Buffer.from('\n')
