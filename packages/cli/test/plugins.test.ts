import { execFile } from 'node:child_process'
import { cp, readdir, readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it } from 'vitest'
import { cli, FIXTURES, isolatedEnv, tempDir } from './helpers.js'

const run = promisify(execFile)
const zodDir = path.dirname(createRequire(import.meta.url).resolve('zod/package.json'))

let dir: string
let env: NodeJS.ProcessEnv
let tarball: string
beforeAll(async () => {
  dir = await tempDir()
  env = isolatedEnv(dir)
  // Pack the fixture with zod bundled inside, so installing it needs no registry (offline-safe).
  const pkg = path.join(dir, 'connector-hello')
  await cp(path.join(FIXTURES, 'connector-hello'), pkg, { recursive: true })
  await cp(zodDir, path.join(pkg, 'node_modules', 'zod'), { recursive: true })
  await run('npm', ['pack', '--pack-destination', dir, '--silent'], { cwd: pkg, env })
  const name = (await readdir(dir)).find((f) => f.endsWith('.tgz'))
  if (!name) throw new Error('npm pack produced no tarball')
  tarball = path.join(dir, name)
}, 120_000)

describe('connector plugins', () => {
  it('`plugins install` of a packed connector adds `ph-import hello`, generated from its schema', async () => {
    const install = await cli(['plugins', 'install', `file:${tarball}`], { cwd: dir, env })
    expect(install.code, install.stderr).toBe(0)
    // Installed into the isolated oclif data dir, never the user's.
    const userPjson = JSON.parse(await readFile(path.join(dir, 'oclif-data', 'package.json'), 'utf8'))
    expect(JSON.stringify(userPjson.oclif.plugins)).toContain('@ph-import/connector-hello')

    const list = await cli(['connectors'], { cwd: dir, env })
    expect(list.stdout).toMatch(/hello\s+@ph-import\/connector-hello\s+1\.0\.0\s+user/)

    const help = await cli(['hello', '--help'], { cwd: dir, env })
    expect(help.stdout).toMatch(/--count=<value>\s+\(required\) how many greetings/)
    expect(help.stdout).toMatch(/--token=<value>\s+\[env: HELLO_TOKEN\]/)
    expect(help.stdout).toContain('(default: hello)')

    const imported = await cli(['hello', '--count', '7', '--greeting', 'hi', '--dry-run', '--json'], {
      cwd: dir,
      env: { ...env, HELLO_TOKEN: 'sekrit-token' },
    })
    expect(imported.code, imported.stderr).toBe(0)
    const summary = JSON.parse(imported.stdout.trim().split('\n').at(-1) ?? '{}')
    expect(summary).toMatchObject({ type: 'summary', status: 'done' })
    expect(summary.report.events.loaded).toBe(7)
    const events = (await readFile(summary.outputFile, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(events.map((e) => e.event)).toEqual(Array(7).fill('hi'))
    const state = await readFile(path.join(summary.jobDir, 'state.json'), 'utf8')
    expect(state).not.toContain('sekrit-token')
  })

  it('a broken plugin only warns, naming it; everything else keeps working', async () => {
    const link = await cli(['plugins', 'link', '--no-install', path.join(FIXTURES, 'connector-broken')], {
      cwd: dir,
      env,
    })
    expect(link.code, link.stderr).toBe(0)
    const list = await cli(['connectors'], { cwd: dir, env })
    expect(list.code).toBe(0)
    expect(list.stderr).toContain('connector plugin @ph-import/connector-broken was not loaded')
    expect(list.stderr).toContain('boom: this connector is broken on purpose')
    expect(list.stdout).toMatch(/^csv\s/m)
    const csvHelp = await cli(['csv', '--help'], { cwd: dir, env })
    expect(csvHelp.code).toBe(0)
  })

  it('a plugin missing a dependency is named, with what to do', async () => {
    const fixture = path.join(FIXTURES, 'connector-missing-dep')
    const link = await cli(['plugins', 'link', '--no-install', fixture], { cwd: dir, env })
    expect(link.code, link.stderr).toBe(0)
    const list = await cli(['connectors'], { cwd: dir, env })
    // oclif wraps a warning over lines that each start with " ›": read it as one line.
    const warning = list.stderr.replace(/\s*\n\s*›\s*/g, ' ').replace(/\s+/g, ' ')
    expect(warning).toContain('connector plugin @ph-import/connector-missing-dep was not loaded')
    expect(warning).toContain(
      'a dependency is missing from @ph-import/connector-missing-dep: ask its author to list ph-import-test-package-that-is-not-installed in package.json',
    )
  })
})
