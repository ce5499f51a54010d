import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { tempDir } from '@ph-import/testkit'
import { describe, expect, it } from 'vitest'
import { loadTransformModule, nodeStripsTypes } from '../src/run/user-files.js'

describe('--transform modules', () => {
  it('loads a JS module whose default export is the hook', async () => {
    const file = path.join(tempDir('ph-hook-'), 'hook.mjs')
    writeFileSync(file, 'export default (e) => ({ ...e, event: e.event.toUpperCase() })\n')
    const hook = await loadTransformModule(file)
    expect(hook({ event: 'a', distinct_id: 'u', uuid: 'x', timestamp: 't', properties: {} })).toMatchObject({
      event: 'A',
    })
  })

  it('loads TypeScript where Node strips types, and otherwise says how to go on', async () => {
    const file = path.join(tempDir('ph-hook-'), 'hook.ts')
    writeFileSync(file, "export default (e: { event: string }) => ({ ...e, event: e.event + '!' })\n")
    if (nodeStripsTypes()) {
      const hook = await loadTransformModule(file)
      expect(hook({ event: 'a', distinct_id: 'u', uuid: 'x', timestamp: 't', properties: {} })).toMatchObject(
        {
          event: 'a!',
        },
      )
    } else {
      await expect(loadTransformModule(file)).rejects.toMatchObject({
        message: `--transform ${file}: Node ${process.version} cannot load TypeScript`,
        hint: expect.stringMatching(/compile it to \.js.*or run Node 22\.18 or later/),
      })
    }
  })
})
