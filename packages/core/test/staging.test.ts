import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { gunzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { appendLinesDurably, writeJsonAtomic } from '../src/runtime/atomic-fs.js'
import { eventBatch } from '../src/runtime/event-batch.js'
import {
  LineWriter,
  StagedGzipWriter,
  splitLineBufferChunks,
  splitLineChunks,
} from '../src/runtime/staged-file.js'
import { loadOrder, newPartitionState } from '../src/runtime/state.js'
import { tempDir } from './helpers.js'

describe('staged gzip files', () => {
  it('a resume truncates to the last commit: uncommitted records vanish, the file stays valid gzip', async () => {
    const file = path.join(tempDir(), 'raw.jsonl.gz')
    const w = await StagedGzipWriter.open(file)
    for (let i = 0; i < 10; i++) w.write({ i })
    const at = await w.commit()
    for (let i = 10; i < 15; i++) w.write({ i })
    await w.maybeFlush(1) // on disk but never committed: what a crash leaves behind
    await w.close()
    expect(readFileSync(file).length).toBeGreaterThan(at.bytes)

    const resumed = await StagedGzipWriter.open(file, at)
    for (let i = 10; i < 20; i++) resumed.write({ i, again: true })
    await resumed.commit()
    await resumed.close()
    const lines = gunzipSync(readFileSync(file))
      .toString('utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(lines.map((l) => l.i)).toEqual(Array.from({ length: 20 }, (_, i) => i))
    expect(lines.slice(10).every((l) => l.again)).toBe(true)
  })
})

async function* chunksOf(text: string, sizes: number[]): AsyncIterable<Buffer> {
  const bytes = Buffer.from(text, 'utf8')
  let at = 0
  for (let i = 0; at < bytes.length; i++) {
    const size = sizes[i % sizes.length]!
    yield bytes.subarray(at, at + size)
    at += size
  }
}

describe('line splitting', () => {
  // Multi-byte characters cut between chunks, a line longer than three chunks, \r kept inside a line,
  // empty lines, and a last line without a newline.
  const text = 'héllo\n\n{"a":"x\ry"}\n€€€€€€€€€€€€\nlast'
  const expected = ['héllo', '', '{"a":"x\ry"}', '€€€€€€€€€€€€', 'last']

  it.each([[[1]], [[2, 3]], [[7]], [[4096]]])('chunks of %j bytes give the same lines', async (sizes) => {
    const lines: string[] = []
    for await (const chunk of splitLineChunks(chunksOf(text, sizes))) lines.push(...chunk)
    expect(lines).toEqual(expected)
    const raw: string[] = []
    for await (const chunk of splitLineBufferChunks(chunksOf(text, sizes))) {
      for (const b of chunk) raw.push(b.toString('utf8'))
    }
    expect(raw).toEqual(expected)
  })

  it('a batch of bytes counts UTF-8 bytes and decodes its lines only when asked', () => {
    const batch = eventBatch([Buffer.from('{"e":"é"}'), Buffer.from('{"e":"x"}')])
    expect(batch.bytes).toBe(19)
    expect(batch.raw?.length).toBe(2)
    expect(batch.lines).toEqual(['{"e":"é"}', '{"e":"x"}'])
    expect(eventBatch(['{"e":"é"}'])).toEqual({ lines: ['{"e":"é"}'], bytes: 10 })
  })
})

describe('atomic state writes', () => {
  it('concurrent writers leave one complete file and no temp files', async () => {
    const dir = tempDir()
    const file = path.join(dir, 'state.json')
    writeFileSync(file, '{"old":true}')
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => writeJsonAtomic(file, { i, pad: 'x'.repeat(10_000) })),
    )
    const value = JSON.parse(readFileSync(file, 'utf8'))
    expect(value.pad).toHaveLength(10_000)
    expect(readdirSync(dir)).toEqual(['state.json'])
    expect(existsSync(`${file}.tmp`)).toBe(false)
  })
})

describe('partition load order', () => {
  it('loads profiles (phase 0) before events, then oldest first', () => {
    const parts = [
      newPartitionState({ key: 'e2', order: '2024-01-02', params: {} }, 0),
      newPartitionState({ key: 'e1', order: '2024-01-01', params: {} }, 1),
      newPartitionState({ key: 'profiles', kind: 'profiles', params: {} }, 2),
    ]
    expect(loadOrder(parts).map((p) => p.key)).toEqual(['profiles', 'e1', 'e2'])
  })

  it('gives every partition a distinct, filesystem-safe file name', () => {
    const a = newPartitionState({ key: 'events:2024-01-01..2024-01-07', params: {} }, 0)
    const b = newPartitionState({ key: 'events:2024-01-01..2024-01-08', params: {} }, 1)
    const c = newPartitionState({ key: '../../etc/passwd', params: {} }, 2)
    expect(a.file).not.toBe(b.file)
    expect(c.file).not.toContain('/')
  })
})

describe('durable line appends', () => {
  it('lines appended after a torn last line start on a line of their own', async () => {
    const file = path.join(tempDir(), 'rejects.jsonl')
    writeFileSync(file, '{"line":1}\n{"li')
    await appendLinesDurably(file, ['{"line":3}', '{"line":4}'])
    await appendLinesDurably(file, ['{"line":5}'])
    expect(readFileSync(file, 'utf8')).toBe('{"line":1}\n{"li\n{"line":3}\n{"line":4}\n{"line":5}\n')
  })
})

describe('buffered line writer', () => {
  // Several megabytes: buffers are written while the next fills, so order and positions must still hold.
  it('writes every line in order, hashes what it wrote and knows where each line starts', async () => {
    const file = path.join(tempDir(), 'events.jsonl')
    const w = await LineWriter.open(file, 'w', { sha256: true })
    const starts: number[] = []
    const lines: string[] = []
    for (let i = 0; i < 40_000; i++) {
      // Some lines with multi-byte characters, and two larger than the buffer (one written, one appended).
      const line =
        i === 20_000
          ? 'x'.repeat(1_500_000)
          : i === 30_000
            ? 'z'.repeat(1_200_000)
            : `{"n":${i},"pad":"${i % 7 === 0 ? 'é€😀' : 'a'.repeat(i % 300)}"}`
      starts.push(w.position)
      lines.push(line)
      // Bytes appended as they are (a worker's batch) go through the same buffers, in order.
      if (i % 1000 === 999 || i === 30_000) await w.append(Buffer.from(`${line}\n`))
      else {
        const flushing = w.write(line)
        if (flushing) await flushing
      }
    }
    await w.close()
    const bytes = readFileSync(file)
    expect(bytes.toString('utf8')).toBe(`${lines.join('\n')}\n`)
    expect(w.sha256()).toBe(createHash('sha256').update(bytes).digest('hex'))
    for (const i of [0, 1, 999, 19_999, 20_000, 20_001, 29_999, 30_000, 30_001, 39_999]) {
      const at = starts[i] as number
      expect(bytes.subarray(at, at + Buffer.byteLength(lines[i] as string)).toString('utf8')).toBe(lines[i])
    }
  })

  it('a write that fails while the next buffer fills is thrown by the next wait, never lost', async () => {
    // Linux's /dev/full answers every write with ENOSPC, as a full disk does.
    const w = await LineWriter.open('/dev/full', 'a')
    const line = 'y'.repeat(1000)
    const failure = (async () => {
      for (let i = 0; i < 5000; i++) {
        const flushing = w.write(line)
        if (!flushing) continue
        await flushing
        // The first buffer's write fails while nobody waits for it: that must not be an unhandled rejection.
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      await w.close()
    })()
    await expect(failure).rejects.toMatchObject({ code: 'ENOSPC' })
  })
})
