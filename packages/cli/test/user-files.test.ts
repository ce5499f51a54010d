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

  it('a syntax error names its line and shows it; other load errors keep their message', async () => {
    const dir = tempDir('ph-hook-')
    const broken = path.join(dir, 'broken.mjs')
    writeFileSync(broken, 'export default (e) => {\n  const a = 1\n  const a = 2\n  return e\n}\n')
    await expect(loadTransformModule(broken)).rejects.toMatchObject({
      message: `--transform ${broken}: syntax error at line 3: Identifier 'a' has already been declared`,
      hint: 'line 3 reads: const a = 2',
    })
    const throwing = path.join(dir, 'throwing.mjs')
    writeFileSync(throwing, "throw new Error('no config')\n")
    await expect(loadTransformModule(throwing)).rejects.toMatchObject({
      message: `--transform ${throwing}: the module failed to load: no config`,
    })
  })
})
