// `plugins install <name>` as a user runs it, against a registry: a short name (`hello`) finds the scoped
// `@ph-import/connector-hello`; a third-party connector's full unscoped name installs as given; a name
// published nowhere fails, saying so. The registry is the local one (127.0.0.1), serving the fixture
// connectors and their dependencies, so npm resolves and fetches them exactly as it would from npmjs.
import { cp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN, cli, FIXTURES, isolatedEnv, tempDir } from './helpers.js'
import { type LocalRegistry, startLocalRegistry } from './local-registry.js'

const ROOT = path.resolve(path.dirname(BIN), '../../..')

let dir: string
let env: NodeJS.ProcessEnv
let registry: LocalRegistry

/** The hello fixture as a package of its own: `name` on npm, `command` in the CLI; zod comes from the registry. */
async function fixturePackage(name: string, command: string): Promise<string> {
  const pkg = path.join(dir, 'packages', command)
  await cp(path.join(FIXTURES, 'connector-hello'), pkg, { recursive: true })
  const manifest = JSON.parse(await readFile(path.join(pkg, 'package.json'), 'utf8'))
  delete manifest.bundleDependencies
  await writeFile(path.join(pkg, 'package.json'), JSON.stringify({ ...manifest, name }, null, 2))
  const source = await readFile(path.join(pkg, 'index.js'), 'utf8')
  await writeFile(path.join(pkg, 'index.js'), source.replace("name: 'hello'", `name: '${command}'`))
  return pkg
}

beforeAll(async () => {
  dir = await tempDir('ph-import-plugins-registry-')
  // The registry serves the fixtures' dependencies (zod) from the workspace: they find them here. Out of
  // the way of the plugins' own lookups, which start in the oclif data dir.
  await mkdir(path.join(dir, 'packages'))
  await symlink(path.join(ROOT, 'node_modules'), path.join(dir, 'packages', 'node_modules'), 'dir')
  const roots = [
    await fixturePackage('@ph-import/connector-hello', 'hello'),
    await fixturePackage('ph-import-connector-greet', 'greet'),
  ]
  registry = await startLocalRegistry(roots, dir)
  // Empty npm configs: neither the machine's registry settings nor its credentials apply.
  const [userrc, globalrc] = [path.join(dir, 'npmrc-user'), path.join(dir, 'npmrc-global')]
  await Promise.all([writeFile(userrc, ''), writeFile(globalrc, '')])
  env = isolatedEnv(dir, {
    npm_config_offline: 'false',
    npm_config_registry: `${registry.url}/`,
    npm_config_userconfig: userrc,
    npm_config_globalconfig: globalrc,
  })
}, 120_000)
afterAll(async () => {
  await registry?.close()
  await rm(dir, { recursive: true, force: true })
})

describe('plugins install from a registry', () => {
  it('a short name installs @ph-import/connector-<name>; a full name installs as given', async () => {
    const short = await cli(['plugins', 'install', 'hello'], { cwd: dir, env })
    expect(short.code, short.stderr).toBe(0)
    expect(registry.requests).toContain('/@ph-import/connector-hello')

    const full = await cli(['plugins', 'install', 'ph-import-connector-greet'], { cwd: dir, env })
    expect(full.code, full.stderr).toBe(0)

    const list = await cli(['connectors'], { cwd: dir, env })
    expect(list.stdout).toMatch(/^hello\s+@ph-import\/connector-hello\s+1\.0\.0\s+user\s/m)
    expect(list.stdout).toMatch(/^greet\s+ph-import-connector-greet\s+1\.0\.0\s+user\s/m)

    const imported = await cli(['greet', '--count', '3', '--token', 'x', '--dry-run', '--json'], {
      cwd: dir,
      env,
    })
    expect(imported.code, imported.stderr).toBe(0)
    const summary = JSON.parse(imported.stdout.trim().split('\n').at(-1) ?? '{}')
    expect(summary.report.events.loaded).toBe(3)

    // Uninstalled by the short name it was installed with.
    const removed = await cli(['plugins', 'uninstall', 'hello'], { cwd: dir, env })
    expect(removed.code, removed.stderr).toBe(0)
    const after = await cli(['connectors'], { cwd: dir, env })
    expect(after.stdout).not.toMatch(/^hello\s/m)
    expect(after.stdout).toMatch(/^greet\s/m)
  }, 120_000)

  it('a name published nowhere fails with the name it looked for', async () => {
    const missing = await cli(['plugins', 'install', 'nosuch'], { cwd: dir, env })
    expect(missing.code).not.toBe(0)
    // oclif's own words name only the last try; ours name both, and the way to a local package.
    const message = missing.stderr.replace(/\s*›\s*/g, ' ')
    expect(message).toContain('neither @ph-import/connector-nosuch nor nosuch is published')
    expect(message).toContain('ph-import plugins install ./<name>-<version>.tgz')
  }, 60_000)
})
