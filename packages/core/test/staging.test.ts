import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { gunzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { writeJsonAtomic } from '../src/runtime/atomic-fs.js'
import { StagedGzipWriter } from '../src/runtime/staged-file.js'
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
