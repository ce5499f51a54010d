import { BaseCommand } from '../../base-command.js'
import { CONNECTORS } from '../../connectors/registry.js'
import { stateFlags } from '../../run/common-flags.js'
import { table } from '../../ui/format.js'

export default class Connectors extends BaseCommand {
  static override summary = 'List the installed connectors (bundled and plugins)'
  static override description =
    'Each connector runs as `ph-import <name>`. Install more with `ph-import plugins install <name>` (short for @ph-import/connector-<name>).'
  static override flags = { json: stateFlags.json }

  async run(): Promise<void> {
    await this.parse(Connectors)
    const rows = [...CONNECTORS.values()].map((c) => ({
      name: c.name,
      package: c.packageName,
      version: c.version,
      origin: c.origin === 'core' ? 'bundled' : c.origin,
      description: c.description,
    }))
    if (this.jsonMode) {
      this.out('', { type: 'connectors', connectors: rows })
      return
    }
    this.out(
      table(
        ['NAME', 'PACKAGE', 'VERSION', 'ORIGIN', 'DESCRIPTION'],
        rows.map((r) => [r.name, r.package, r.version, r.origin, r.description]),
      ),
    )
  }
}
