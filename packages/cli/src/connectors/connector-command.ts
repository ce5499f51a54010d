import type { Command } from '@oclif/core'
import { ConfigError } from '@ph-import/core'
import { BaseCommand } from '../base-command.js'
import { importFlags, RESERVED_FLAGS } from '../run/common-flags.js'
import { absolute, defined, runOptions, type SendFlagValues } from '../run/from-flags.js'
import { runJob } from '../run/run-job.js'
import { loadMappingFile, loadTransformModule } from '../run/user-files.js'
import type { Connector } from './discover.js'
import { type ConfigField, configFields, flagsToConfig, oclifFlags } from './schema-flags.js'

type Flags = SendFlagValues & { mapping?: string; transform?: string } & Record<string, unknown>

function examplesFor(connector: Connector, fields: readonly ConfigField[]): string[] {
  // A connector's own examples (after `ph-import `): the PostHog key joins their environment variables.
  if (connector.source.examples?.length)
    return connector.source.examples.map((line) => {
      const words = line.split(' ')
      const command = Math.max(
        0,
        words.findIndex((w) => !/^[A-Z_][A-Z0-9_]*=/.test(w)),
      )
      const key = words.includes('--dry-run') ? [] : ['POSTHOG_PROJECT_API_KEY=phc_...']
      return [...words.slice(0, command), ...key, '<%= config.bin %>', ...words.slice(command)].join(' ')
    })
  const required = fields.filter((f) => f.required && !f.secret && !f.env)
  const args = required.map((f) => `--${f.flag} ${f.kind === 'number' ? '1' : `<${f.flag}>`}`).join(' ')
  // Required secrets only: where every secret is optional they are alternatives with flags of their own
  // (Mixpanel's service account needs a username and a project id), which the flag list shows.
  const envs = fields.filter((f) => f.secret && f.env && f.required).map((f) => `${f.env}=...`)
  const prefix = envs.length > 0 ? `${envs.join(' ')} ` : ''
  return [
    `${prefix}POSTHOG_PROJECT_API_KEY=phc_... <%= config.bin %> ${connector.name} ${args} --posthog-host eu`,
    `${prefix}<%= config.bin %> ${connector.name} ${args} --dry-run`,
  ]
}

/**
 * Builds `ph-import <connector>`: flags, help, required flags and env fallbacks all come from the
 * connector's zod config schema, plus the common import flags. The connector ships no CLI code.
 */
export function connectorCommand(connector: Connector): Command.Class {
  const fields = configFields(connector.source.config, RESERVED_FLAGS)
  return class ConnectorCommand extends BaseCommand {
    static override summary = connector.description
    static override description =
      `Imports into PostHog exactly once: re-running the same command resumes the job. Flags come from ${connector.packageName}@${connector.version}; secrets can be given through the environment variables shown.`
    static override examples = examplesFor(connector, fields)
    static override flags = { ...oclifFlags(fields, { requireFields: true }), ...importFlags }

    async run(): Promise<void> {
      const { flags: parsed } = await this.parse(this.ctor as Command.Class)
      const flags = parsed as Flags
      // oclif counts --dry-run's default (false) as given, so its dependsOn never fires: without this, an
      // --output meant for a preview would send to PostHog instead.
      if (flags.output !== undefined && !flags['dry-run'])
        throw new ConfigError('--output only applies to --dry-run: nothing was sent', {
          hint: 'add --dry-run to write the events to that file, or drop --output to send them to PostHog',
        })
      const mapping = flags.mapping ? await loadMappingFile(flags.mapping) : undefined
      const transformHook = flags.transform ? await loadTransformModule(flags.transform) : undefined
      const { exitCode } = await runJob({
        source: connector.source,
        fields,
        config: flagsToConfig(fields, flags),
        settings: {
          connector: connector.name,
          posthogHost: flags['posthog-host'],
          dryRun: flags['dry-run'],
          ...defined({
            rate: flags.rate,
            batchSize: flags['batch-size'],
            workers: flags.workers,
            maxStagedGb: flags['max-staged'],
            keepStaged: flags['keep-staged'],
            mapping,
            mappingFile: absolute(flags.mapping),
            transformFile: absolute(flags.transform),
            output: absolute(flags.output),
          }),
        },
        transformHook,
        sourceModule: connector.module,
        options: runOptions(flags),
      })
      if (exitCode !== 0) this.exit(exitCode)
    }
  }
}
