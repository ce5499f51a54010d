import { createReadStream } from 'node:fs'
import type { Readable } from 'node:stream'
import { createGunzip } from 'node:zlib'
import { ConfigError } from '@ph-import/core'

/** The first bytes of a file as text would start, gunzipped for `.gz`; empty when unreadable. */
async function start(file: string, gz: boolean): Promise<Buffer> {
  const raw = createReadStream(file, { start: 0, end: 16 * 1024 - 1 })
  const stream: Readable = gz ? raw.pipe(createGunzip()) : raw
  try {
    for await (const chunk of stream) return chunk as Buffer
  } catch {
    // A cut or broken gzip: the reader names it when it gets there.
  } finally {
    raw.destroy()
    stream.destroy()
  }
  return Buffer.alloc(0)
}

/**
 * Files that are not JSON lines at all fail here, by name, before anything runs: each of their lines
 * would otherwise be rejected for a reason that hides the cause (UTF-16 from a Windows tool; a JSON
 * array, which `.json` exports often are).
 */
export async function checkJsonLinesFormat(file: string, shown: string, gz: boolean): Promise<void> {
  const head = await start(file, gz)
  const bom = (head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)
  // Without a BOM: ASCII text in UTF-16 has a zero in every other byte of its first characters.
  const zeros = (a: number, b: number) =>
    head[a] === 0 && head[b] === 0 && head[a + 1] !== 0 && head[b + 1] !== 0
  if (bom || (head.length >= 8 && (zeros(1, 3) || zeros(0, 2))))
    throw new ConfigError(`${shown} is UTF-16 text, not UTF-8`, {
      hint: 'convert it: iconv -f UTF-16 -t UTF-8 <file> > <file>.utf8.jsonl',
    })
  const text = head
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart()
  if (text.startsWith('['))
    throw new ConfigError(`${shown} holds a JSON array, not one JSON object per line`, {
      hint: "convert it to JSON lines: jq -c '.[]' <file> > <file>.jsonl",
    })
}
