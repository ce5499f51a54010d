import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { explainInstallError, localTarballSpecs } from '../src/run/plugin-args.js'
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

  it('refuses a local tarball that is not there, saying how to make one, instead of asking GitHub for it', () => {
    expect(() => localTarballSpecs(['plugins', 'install', './missing-1.0.0.tgz'], dir)).toThrow(
      expect.objectContaining({
        message: `no such file: ./missing-1.0.0.tgz (looked for ${path.join(dir, 'missing-1.0.0.tgz')})`,
        oclif: { exit: 2 },
        suggestions: [expect.stringMatching(/npm pack/)],
      }),
    )
  })

  it('leaves names, URLs and other commands alone', () => {
    for (const argv of [
      ['plugins', 'install', 'mixpanel'],
      ['plugins', 'install', 'file:/elsewhere/x-1.0.0.tgz'],
      ['csv', '--files', 'x-1.0.0.tgz'],
      ['plugins', 'link', 'x-1.0.0.tgz'],
    ])
      expect(localTarballSpecs(argv, dir)).toEqual(argv)
  })
})

describe('a plugin published nowhere', () => {
  const scoped = (name: string) => (name.startsWith('@') ? undefined : `@ph-import/connector-${name}`)
  const notFound = (name: string) => new Error(`${name} does not exist in the registry.`)

  it('names both packages a short name was looked up as', () => {
    const error = explainInstallError(['plugins', 'install', 'mixpanl'], notFound('mixpanl'), scoped)
    expect(error.message).toMatch(/^neither @ph-import\/connector-mixpanl nor mixpanl is published/)
    // A short name might be a third-party connector's: its full name is said.
    expect(error.message).toContain(
      'a third-party connector installs by its full name: ph-import plugins install ph-import-connector-mixpanl',
    )
    const full = explainInstallError(['plugins:add', '@acme/x'], notFound('@acme/x'), scoped)
    expect(full.message).toMatch(/^no package @acme\/x is published/)
    expect(full.message).not.toContain('third-party')
  })

  it('leaves other errors and other commands alone', () => {
    const other = new Error('npm ERR! code E403')
    expect(explainInstallError(['plugins', 'install', 'x'], other, scoped).message).toBe('npm ERR! code E403')
    const elsewhere = notFound('x')
    expect(explainInstallError(['csv', 'x'], elsewhere, scoped).message).toBe(
      'x does not exist in the registry.',
    )
  })
})
