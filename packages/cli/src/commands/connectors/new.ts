import { existsSync, readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Args, Flags } from '@oclif/core'
import { ConfigError } from '@ph-import/core'
import { BaseCommand } from '../../base-command.js'
import { connectorNamed } from '../../connectors/registry.js'
import { stateFlags } from '../../run/common-flags.js'

/** npm pack's file name: `@you/x` → `you-x-<version>.tgz`. */
function tarballName(packageName: string, version: string) {
  return `${packageName.replace(/^@/, '').replace('/', '-')}-${version}.tgz`
}

/** A shell word: quoted only when it has to be. */
const shellWord = (s: string) => (/^[\w./:@=+-]+$/.test(s) ? s : JSON.stringify(s))

/**
 * The directory and version of an installed package (`@ph-import/core` in this checkout), found from the
 * module it resolves to: its exports do not include package.json.
 */
function installedPackage(
  specifier: string,
  name: string,
): { name: string; dir: string; version: string } | undefined {
  let dir = path.dirname(fileURLToPath(import.meta.resolve(specifier)))
  for (; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json')
    if (!existsSync(manifest)) continue
    const json = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string }
    if (json.name === name) return { name, dir, version: json.version ?? '0.0.0' }
  }
  return undefined
}

/** oclif's plugin types, as a user would say them. */
const ORIGIN: Record<string, string> = { core: 'bundled', user: 'installed', link: 'linked' }

export default class ConnectorsNew extends BaseCommand {
  static override summary = 'Create a new connector package (config, export, fake API, transform, tests)'
  static override description =
    'Writes a working connector named <name> (a cursor-paginated API with a fake server) that builds, passes the conformance suite, packs with `npm pack` and installs with `ph-import plugins install`. See docs/authoring.md.'
  static override examples = [
    '<%= config.bin %> connectors new hubspot',
    '<%= config.bin %> connectors new google-analytics --dir ./ga --package-name @acme/ph-import-connector-google-analytics',
  ]
  static override args = {
    name: Args.string({
      description: 'connector name: lowercase letters, digits and dashes (`ph-import <name>` runs it)',
      required: true,
    }),
  }
  static override flags = {
    dir: Flags.string({
      description: 'directory to create (must not exist or be empty; default ./ph-import-connector-<name>)',
    }),
    'package-name': Flags.string({
      description: 'npm package name (default ph-import-connector-<name>; a scope of yours works too)',
    }),
    json: stateFlags.json,
    debug: stateFlags.debug,
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ConnectorsNew)
    // The scaffold entry, not the kit's main one: that carries the vitest-based suite.
    const { scaffoldConnector } = await import('@ph-import/testkit/scaffold')
    this.refuseTakenName(args.name)
    const packageName = flags['package-name'] ?? `ph-import-connector-${args.name}`
    const dir = path.resolve(flags.dir ?? packageName.replace(/^@[^/]+\//, ''))
    const result = await scaffoldConnector({ name: args.name, dir, packageName }).catch((error: unknown) => {
      // A bad name or a used directory is the user's to fix: exit 2 with the kit's message.
      throw new ConfigError(error instanceof Error ? error.message : String(error), { cause: error })
    })
    const manifest = JSON.parse(await readFile(path.join(result.dir, 'package.json'), 'utf8')) as {
      version: string
    }
    const tarball = path.join(result.dir, tarballName(result.packageName, manifest.version))
    // Not on the npm registry yet: `npm install` would 404 on them, so they are packed from this checkout.
    const kit = [
      installedPackage('@ph-import/core', '@ph-import/core'),
      installedPackage('@ph-import/testkit/scaffold', '@ph-import/testkit'),
    ].filter((p) => p !== undefined)
    const tarballs = kit.map((p) => `./${tarballName(p.name, p.version)}`)
    const next = [
      `cd ${shellWord(path.relative(process.cwd(), result.dir) || '.')}`,
      `npm pack --pack-destination . ${kit.map((p) => shellWord(p.dir)).join(' ')}`,
      `npm install -D ${tarballs.join(' ')}`,
      'npm test',
      'npm pack',
      // Run from the package directory: a local tarball path is turned into an absolute file: spec.
      `${this.config.bin} plugins install ./${path.basename(tarball)}`,
      `${this.config.bin} ${args.name} --help`,
    ]
    if (this.jsonMode) {
      this.out('', { type: 'scaffold', name: args.name, ...result, tarball, next })
      return
    }
    this.out(
      [
        `Created ${result.packageName} in ${result.dir} (${result.files.length} files).`,
        '',
        'Next:',
        `  ${next[0]}`,
        `  ${next[1]}`,
        '      # @ph-import/core and @ph-import/testkit are not on the npm registry yet: packed from this checkout',
        `  ${next[2]}`,
        '      # with them, zod, typescript and vitest; once they are published, `npm install` alone does it',
        `  ${next[3]}             # the conformance suite against the fake API in src/fake-server.ts`,
        `  ${next[4]}             # builds dist/ and writes ${path.basename(tarball)}`,
        `  ${next[5]}`,
        `  ${next[6]}`,
        '',
        'While developing, instead of pack + install:',
        `  npm run build && ${this.config.bin} plugins link .`,
      ].join('\n'),
    )
  }

  /** `ph-import <name>` must reach the connector: a built-in command or an installed connector would win. */
  private refuseTakenName(name: string): void {
    const connector = connectorNamed(name)
    const builtIn = this.config.commandIDs.some((id) => id === name || id.startsWith(`${name}:`))
    if (!connector && !builtIn) return
    throw new ConfigError(
      connector
        ? `the name ${name} is taken: ${connector.packageName} (${ORIGIN[connector.origin] ?? connector.origin}) already provides \`${this.config.bin} ${name}\``
        : `the name ${name} is taken: \`${this.config.bin} ${name}\` is a built-in command`,
      { hint: `pick another name, e.g. ${name}-events or acme-${name}` },
    )
  }
}
