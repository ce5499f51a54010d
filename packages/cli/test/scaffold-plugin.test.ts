// Issue 9's proof: `connectors new` writes a package that builds, passes its own conformance suite,
// packs, installs into the CLI with `plugins install <tarball>`, and imports from its fake API into the
// PostHog sandbox: every record the fake serves is loaded exactly once or rejected with a reason.
import { execFile } from 'node:child_process'
import { existsSync, realpathSync } from 'node:fs'
import { readFile, rm, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { type Sandbox, startSandbox } from '@ph-import/sandbox'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { JsonLine } from '../src/json-output.js'
import { BIN, cli, isolatedEnv, jsonLines, tempDir } from './helpers.js'
import { findPackage, installedNames, type LocalRegistry, startLocalRegistry } from './local-registry.js'

const run = promisify(execFile)
const ROOT = path.resolve(path.dirname(BIN), '../../..')
const workspaceBin = (rel: string) => path.join(ROOT, 'node_modules', rel)

interface RawWidgetEvent {
  id: string
  type: string
  user_id: string | null
  time: number
}
interface FakeWidget {
  url: string
  events: readonly RawWidgetEvent[]
  close(): Promise<void>
}

let dir: string
let pkg: string
let env: NodeJS.ProcessEnv
let sandbox: Sandbox
let registry: LocalRegistry | undefined
let fake: FakeWidget | undefined

/** The package's own vitest must not believe it is a worker of this one. */
const childEnv = () => ({
  ...Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('VITEST') && k !== 'NODE_OPTIONS')),
  FORCE_COLOR: '0',
})
const inPkg = (file: string, args: string[]) =>
  run(file, args, { cwd: pkg, env: childEnv(), maxBuffer: 16 * 1024 * 1024 })

beforeAll(async () => {
  dir = await tempDir('ph-import-scaffold-plugin-')
  pkg = path.join(dir, 'widget')
  env = isolatedEnv(dir)
  sandbox = await startSandbox({ port: 0, dataDir: ':memory:' })
})
afterAll(async () => {
  await fake?.close()
  await registry?.close()
  await sandbox.close()
  // pkg/node_modules is a symlink: rm removes the link, never the workspace's modules behind it.
  await rm(dir, { recursive: true, force: true })
})

describe('a scaffolded connector, from `connectors new` to an import', () => {
  it('builds, passes conformance, packs, installs as a plugin and imports every record once', async () => {
    const created = await cli(['connectors', 'new', 'widget', '--dir', pkg], { cwd: dir, env })
    expect(created.code, created.stderr).toBe(0)
    expect(created.stdout).toContain('Created ph-import-connector-widget')
    expect(created.stdout).toContain('npm test')
    const tarball = path.join(pkg, 'ph-import-connector-widget-0.1.0.tgz')
    const installLine = created.stdout.split('\n').find((l) => l.includes('plugins install'))
    expect(installLine?.trim()).toBe('ph-import plugins install ./ph-import-connector-widget-0.1.0.tgz')

    // `npm install` would need the registry: the package borrows the workspace's node_modules instead.
    await symlink(path.join(ROOT, 'node_modules'), path.join(pkg, 'node_modules'), 'dir')
    await inPkg(process.execPath, [workspaceBin('typescript/bin/tsc'), '-p', 'tsconfig.build.json'])
    const tests = await inPkg(process.execPath, [workspaceBin('vitest/vitest.mjs'), 'run'])
    // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping terminal colours
    const testSummary = `${tests.stdout}${tests.stderr}`.replace(/\u001b\[[0-9;]*m/g, '')
    expect(testSummary).toMatch(/Tests\s+(\d+) passed \(\1\)/)

    // `prepack` rebuilds dist/, as it will for the author.
    await inPkg('npm', ['pack', '--silent'])
    expect(existsSync(tarball)).toBe(true)

    // What npm will fetch for the tarball: its dependencies and required peers (@ph-import/core), and theirs.
    const manifest = JSON.parse(await readFile(path.join(pkg, 'package.json'), 'utf8'))
    const roots = installedNames(manifest).map((name) => findPackage(pkg, name) ?? name)
    registry = await startLocalRegistry(roots, dir)
    // Empty npm configs: neither the machine's registry settings nor its credentials apply.
    const [userrc, globalrc] = [path.join(dir, 'npmrc-user'), path.join(dir, 'npmrc-global')]
    await Promise.all([writeFile(userrc, ''), writeFile(globalrc, '')])
    const installEnv = {
      ...env,
      npm_config_offline: 'false',
      npm_config_registry: `${registry.url}/`,
      npm_config_userconfig: userrc,
      npm_config_globalconfig: globalrc,
    }
    // The printed next step, run where it says: in the package directory, after `npm pack`.
    const install = await cli(['plugins', 'install', `./${path.basename(tarball)}`], {
      cwd: pkg,
      env: installEnv,
    })
    expect(install.code, install.stderr).toBe(0)
    // The peer @ph-import/core is the CLI's own: npm did not fetch it (it need not be on any registry).
    expect(registry.requests).not.toContain('/@ph-import/core')
    const dataModules = path.join(dir, 'oclif-data', 'node_modules')
    expect(existsSync(path.join(dataModules, 'ph-import-connector-widget', 'dist', 'index.js'))).toBe(true)

    const list = await cli(['connectors'], { cwd: dir, env })
    expect(list.stdout).toMatch(/^widget\s+ph-import-connector-widget\s+0\.1\.0\s+user\s/m)
    expect(list.stderr).toBe('')
    // Linked at start-up, to the very copy the CLI runs with.
    expect(realpathSync(path.join(dataModules, '@ph-import', 'core'))).toBe(
      path.join(ROOT, 'packages', 'core'),
    )

    // The fake comes from the package's own ./testing export.
    const testing = (await import(pathToFileURL(path.join(pkg, 'dist', 'testing.js')).href)) as {
      FAKE_WIDGET_API_KEY: string
      startFakeWidget(options: { days: number; eventsPerDay: number; pageSize: number }): Promise<FakeWidget>
    }
    fake = await testing.startFakeWidget({ days: 3, eventsPerDay: 60, pageSize: 7 })
    const imported = await cli(
      [
        'widget',
        ...['--base-url', fake.url, '--start', '2024-01-01', '--end', '2024-01-03'],
        ...['--posthog-host', sandbox.url, '--state-dir', 'state', '--yes', '--json'],
      ],
      {
        cwd: dir,
        env: { ...env, WIDGET_API_KEY: testing.FAKE_WIDGET_API_KEY, POSTHOG_PROJECT_API_KEY: 'phc_sandbox' },
      },
    )
    expect(imported.code, imported.stderr).toBe(0)
    const summary = JsonLine.parse(jsonLines(imported.stdout).at(-1))
    if (summary.type !== 'summary') throw new Error(`no summary: ${imported.stdout}`)
    expect(summary.status).toBe('done')

    const served = fake.events
    const withUser = served.filter((e) => e.user_id !== null)
    expect(withUser.length).toBeGreaterThan(0)
    const stats = sandbox.stats()
    expect(stats.unique_uuids).toBe(withUser.length)
    expect(stats.received).toBe(stats.unique_uuids)
    const key = (e: { event: string; distinct_id: string; timestamp: string }) =>
      `${e.event} ${e.distinct_id} ${e.timestamp}`
    const arrived = sandbox.events().map((e) => key(e))
    const expected = withUser.map((e) =>
      key({ event: e.type, distinct_id: e.user_id ?? '', timestamp: new Date(e.time).toISOString() }),
    )
    expect(arrived.sort()).toEqual(expected.sort())
    // The rest are accounted for: rejected by the transform with its reason code.
    expect(summary.report.rejectsByCode).toEqual(
      served.length > withUser.length ? { missing_user: served.length - withUser.length } : {},
    )
    const state = await readFile(path.join(summary.jobDir, 'state.json'), 'utf8')
    expect(state).not.toContain(testing.FAKE_WIDGET_API_KEY)
  }, 120_000)
})
