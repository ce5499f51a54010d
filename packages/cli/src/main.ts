import path from 'node:path'
import { Config, flush, handle, type Interfaces, Plugin, run, settings, ux } from '@oclif/core'
import { connectorCommand } from './connectors/connector-command.js'
import { discoverConnectors } from './connectors/discover.js'
import { npmWithoutPeers, provideCoreToPlugins } from './connectors/provide-core.js'
import { CONNECTOR_COMMANDS, CONNECTORS } from './connectors/registry.js'
import { explainInstallError, localTarballSpecs } from './run/plugin-args.js'

/**
 * Loads oclif (bundled and user-installed plugins), turns every connector found among them into a
 * command, and runs. The generated commands live in an in-memory plugin that uses oclif's `explicit`
 * command discovery over `CONNECTOR_COMMANDS`, so help, `commands` and the parser treat them like any other.
 */
export async function main(root: string, argv = process.argv.slice(2)): Promise<void> {
  // Commands run from the compiled dist/ even when NODE_ENV=test or development.
  settings.enableAutoTranspile = false
  let config: Config | undefined
  try {
    config = await Config.load({ root })
    npmWithoutPeers(argv)
    provideCoreToPlugins(config.dataDir)
    const { connectors, warnings } = await discoverConnectors(config.getPluginsList())
    for (const warning of warnings) ux.warn(warning)
    const builtIn = new Set(config.commandIDs)
    for (const connector of connectors) {
      if (builtIn.has(connector.name)) {
        ux.warn(
          `connector ${connector.name} (${connector.packageName}) clashes with a built-in command; skipped`,
        )
        continue
      }
      CONNECTORS.set(connector.name, connector)
      CONNECTOR_COMMANDS[connector.name] = connectorCommand(connector)
    }
    const generated = new Plugin({
      root: path.join(config.root, 'dist', 'connectors'),
      // isRoot with a given pjson: oclif takes the root as is instead of searching for a package.json.
      isRoot: true,
      type: 'core',
      ignoreManifest: true,
      pjson: {
        name: `${config.name}-connectors`,
        version: config.version,
        oclif: {
          commands: { strategy: 'explicit', target: './registry.js', identifier: 'CONNECTOR_COMMANDS' },
        },
      } as unknown as Interfaces.PJSON,
    })
    await generated.load()
    config.plugins.set(generated.name, generated)
    // run() rebuilds its Config from this one's plugin list, generated plugin included.
    await run(localTarballSpecs(argv), config)
    await flush()
  } catch (error) {
    const { scope, pluginPrefix } = config?.pjson.oclif ?? {}
    // As oclif expands a short name: `mixpanel` → @ph-import/connector-mixpanel.
    const scoped = (name: string) =>
      scope && !name.startsWith('@') ? `@${scope}/${pluginPrefix ?? 'plugin'}-${name}` : undefined
    await handle(explainInstallError(argv, error as Error, scoped))
  }
}
