import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { createFileDestination } from '../src/destinations/file.js'
import { eventBatch } from '../src/runtime/event-batch.js'
import { tempDir } from './helpers.js'

const signal = new AbortController().signal

describe('file destination', () => {
  it('after a crash mid-write, drops the torn last line before appending the resent batch', async () => {
    const file = path.join(tempDir(), 'out.jsonl')
    // What a SIGKILL during write() can leave: whole lines, then half of one.
    writeFileSync(file, '{"n":1}\n{"n":2}\n{"n":')
    const destination = createFileDestination({ path: file })
    await destination.send(eventBatch([Buffer.from('{"n":3}'), Buffer.from('{"n":4}')]), { signal })
    await destination.send(eventBatch(['{"n":5}']), { signal })
    await destination.close?.()
    expect(readFileSync(file, 'utf8')).toBe('{"n":1}\n{"n":2}\n{"n":3}\n{"n":4}\n{"n":5}\n')
  })

  it('a torn first line longer than the scan block leaves an empty file', async () => {
    const file = path.join(tempDir(), 'out.jsonl')
    writeFileSync(file, `{"big":"${'x'.repeat(200_000)}`)
    const destination = createFileDestination({ path: file })
    await destination.send(eventBatch(['{"n":1}']), { signal })
    await destination.close?.()
    expect(readFileSync(file, 'utf8')).toBe('{"n":1}\n')
  })

  it('leaves a cleanly ended file as it is', async () => {
    const file = path.join(tempDir(), 'out.jsonl')
    writeFileSync(file, '{"n":1}\n')
    const destination = createFileDestination({ path: file })
    await destination.send(eventBatch(['{"n":2}']), { signal })
    await destination.close?.()
    expect(readFileSync(file, 'utf8')).toBe('{"n":1}\n{"n":2}\n')
  })
})
