// The generated package is a working connector: it typechecks, builds, passes its own conformance
// suite and packs. Offline: the temp package borrows the workspace's node_modules through a symlink.
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { renameAcme, scaffoldConnector } from '../src/scaffold/scaffold.js'

const run = promisify(execFile)
const here = path.dirname(new URL(import.meta.url).pathname)
const testkitDir = path.resolve(here, '..')
const root = path.resolve(testkitDir, '../..')
const bin = (rel: string) => path.join(root, 'node_modules', rel)

/** The child vitest must not think it is a worker of this one. */
const childEnv = {
  ...Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && k !== 'NODE_OPTIONS'),
  ),
  NO_COLOR: '1',
  FORCE_COLOR: '0',
}

async function node(args: string[], cwd: string) {
  return run(process.execPath, args, { cwd, env: childEnv, maxBuffer: 16 * 1024 * 1024 })
}

let tmp: string
let pkg: string

beforeAll(async () => {
  // The generated package imports @ph-import/testkit through the workspace link: it needs our dist.
  if (!existsSync(path.join(testkitDir, 'dist/index.js')))
    await node([bin('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], testkitDir)
  tmp = await mkdtemp(path.join(tmpdir(), 'ph-import-scaffold-'))
  pkg = path.join(tmp, 'widget-stats')
})
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true })
})

describe('scaffoldConnector', () => {
  it('renames every form of the template name', () => {
    expect(renameAcme('acmeSource AcmeConfig ACME_API_KEY name: "acme"', 'widget-stats')).toBe(
      'widgetStatsSource WidgetStatsConfig WIDGET_STATS_API_KEY name: "widget-stats"',
    )
  })

  it('refuses a bad name and a non-empty directory', async () => {
    await expect(scaffoldConnector({ name: 'Bad_Name', dir: path.join(tmp, 'x') })).rejects.toThrow(
      /lowercase/,
    )
    await expect(scaffoldConnector({ name: 'ok', dir: testkitDir })).rejects.toThrow(/not empty/)
  })

  it('writes a package that typechecks, builds, passes conformance and packs', async () => {
    const result = await scaffoldConnector({ name: 'widget-stats', dir: pkg })
    expect(result.packageName).toBe('ph-import-connector-widget-stats')
    const manifest = JSON.parse(await readFile(path.join(pkg, 'package.json'), 'utf8'))
    expect(manifest['ph-import']).toEqual({ connector: './dist/index.js' })
    // oclif's plugin installer refuses a package without an oclif field ("plugin is invalid").
    expect(manifest.oclif).toEqual({})
    expect(manifest.peerDependencies['@ph-import/core']).toMatch(/^\^\d/)
    await symlink(path.join(root, 'node_modules'), path.join(pkg, 'node_modules'), 'dir')

    await node([bin('typescript/bin/tsc'), '-p', 'tsconfig.json', '--noEmit'], pkg)
    await node([bin('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], pkg)
    const built = await import(path.join(pkg, 'dist/index.js'))
    expect(built.default.name).toBe('widget-stats')
    expect(built.widgetStatsSource).toBe(built.default)

    const tests = await node([bin('vitest/vitest.mjs'), 'run', '--reporter=verbose'], pkg)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping terminal colours
    const summary = `${tests.stdout}${tests.stderr}`.replace(/\u001b\[[0-9;]*m/g, '')
    expect(summary).toMatch(/Tests\s+\S*\s*18 passed/)
    expect(summary).toContain('resume_after_crash')

    const packed = await run('npm', ['pack', '--json', '--pack-destination', tmp], {
      cwd: pkg,
      env: childEnv,
    })
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as Array<{
      filename: string
      files: Array<{ path: string }>
    }>
    expect(info?.files.map((f) => f.path)).toEqual(
      expect.arrayContaining(['package.json', 'README.md', 'dist/index.js', 'dist/testing.js']),
    )
    expect(await readdir(tmp)).toContain(info?.filename)
  })
})
