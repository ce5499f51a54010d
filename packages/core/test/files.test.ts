import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { expandFiles } from '../src/util/files.js'
import { tempDir } from './helpers.js'

describe('expandFiles', () => {
  const dir = tempDir()
  mkdirSync(path.join(dir, 'exports', 'old'), { recursive: true })
  for (const f of ['exports/a.csv', 'exports/b.csv', 'exports/old/c.csv'])
    writeFileSync(path.join(dir, f), 'x\n')

  it('expands paths and globs into a sorted list', async () => {
    expect(await expandFiles(['exports/*.csv'], dir)).toEqual([
      path.join(dir, 'exports/a.csv'),
      path.join(dir, 'exports/b.csv'),
    ])
    expect(await expandFiles(['exports/**/*.csv'], dir)).toHaveLength(3)
    // The two patterns the directory hint below suggests.
    expect(await expandFiles(['exports/*'], dir)).toHaveLength(2)
    expect(await expandFiles(['exports/**'], dir)).toHaveLength(3)
  })

  it('a directory given as a file says so and how to name its files; a missing file and an empty glob are refused', async () => {
    await expect(expandFiles(['exports/'], dir)).rejects.toMatchObject({
      message: 'exports/ is a directory, not a file',
      hint: "give the files in it with a pattern, quoted: 'exports/*' (every file in it), 'exports/**' (subdirectories too)",
    })
    await expect(expandFiles(['nope.csv'], dir)).rejects.toMatchObject({
      message: 'file not found: nope.csv',
    })
    await expect(expandFiles(['exports/*.tsv'], dir)).rejects.toMatchObject({
      message: 'no file matches exports/*.tsv',
    })
  })
})
