import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { localTarballSpecs } from '../src/run/plugin-args.js'
import { tempDir } from './helpers.js'

let dir: string
beforeAll(async () => {
  dir = await tempDir()
  await writeFile(path.join(dir, 'x-1.0.0.tgz'), '')
})

describe('plugins install of a local tarball', () => {
  it('turns an existing relative tarball into an absolute file: spec', () => {
    expect(localTarballSpecs(['plugins', 'install', './x-1.0.0.tgz'], dir)).toEqual([
      'plugins',
      'install',
      `file:${path.join(dir, 'x-1.0.0.tgz')}`,
    ])
    expect(localTarballSpecs(['plugins:add', 'x-1.0.0.tgz', '--force'], dir)).toEqual([
      'plugins:add',
      `file:${path.join(dir, 'x-1.0.0.tgz')}`,
      '--force',
    ])
  })

  it('leaves names, URLs, missing files and other commands alone', () => {
    for (const argv of [
      ['plugins', 'install', 'mixpanel'],
      ['plugins', 'install', 'file:/elsewhere/x-1.0.0.tgz'],
      ['plugins', 'install', './missing-1.0.0.tgz'],
      ['csv', '--files', 'x-1.0.0.tgz'],
      ['plugins', 'link', 'x-1.0.0.tgz'],
    ])
      expect(localTarballSpecs(argv, dir)).toEqual(argv)
  })
})
