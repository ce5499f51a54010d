import type { EventBatch } from '../contracts/destination.js'

/** One staged event line: a string, or its UTF-8 bytes as read from the staged file (no decode). */
export type WireLine = string | Buffer

export function wireBytes(line: WireLine): number {
  return typeof line === 'string' ? Buffer.byteLength(line, 'utf8') : line.length
}

export function wireText(line: WireLine): string {
  return typeof line === 'string' ? line : line.toString('utf8')
}

/**
 * The batch handed to a destination. Lines read from disk stay bytes end to end on the default path:
 * decoding 1M events to strings and encoding them back for the request body cost ~0.6 µs per event,
 * about a sixth of the importer's CPU while loading.
 */
export function eventBatch(lines: readonly WireLine[]): EventBatch {
  let bytes = 0
  for (const l of lines) bytes += wireBytes(l)
  if (lines.every((l): l is string => typeof l === 'string')) return { lines, bytes }
  let decoded: string[] | undefined
  return {
    bytes,
    raw: lines as readonly Buffer[],
    get lines() {
      decoded ??= lines.map(wireText)
      return decoded
    },
  }
}
