import { Args, type Interfaces, Parser } from '@oclif/core'
import { ConfigError, createReprocessSource, type JobState, loadJob, type Partition } from '@ph-import/core'
import type { Connector } from '../connectors/discover.js'
import { CONNECTORS, connectorNamed } from '../connectors/registry.js'
import { type ConfigField, configFields, flagsToConfig, oclifFlags } from '../connectors/schema-flags.js'
import { RESERVED_FLAGS } from './common-flags.js'
import { type JobSettings, readJobSettings } from './job-settings.js'
import { loadTransformModule } from './user-files.js'

export interface StoredJob {
  state: JobState
  jobDir: string
  rejectsFile: string
  settings: JobSettings
  connector: Connector
  fields: ConfigField[]
}

/** A saved job with the connector that ran it (which must still be installed). */
/**
 * The job id, refusing more than one: the commands that take one parse loosely (the job's secret flags
 * are known only once it is found), so a second id would otherwise be dropped without a word.
 */
export function oneJobId(argv: readonly unknown[]): void {
  const ids = argv.filter((a) => typeof a === 'string' && !a.startsWith('-'))
  if (ids.length <= 1) return
  throw new ConfigError(`one job id at a time: got ${ids.join(' ')}`, {
    hint: 'run the command once for each job',
  })
}

export async function openStoredJob(stateDir: string, id: string): Promise<StoredJob> {
  const { state, paths } = await loadJob(stateDir, id)
  const settings = await readJobSettings(paths.dir)
  const connector = connectorNamed(settings.connector)
  if (!connector)
    throw new ConfigError(
      `job ${state.jobId} was run by the ${settings.connector} connector, which is not installed`,
      {
        hint: `install it with \`ph-import plugins install ${settings.connector}\``,
      },
    )
  return {
    state,
    jobDir: paths.dir,
    rejectsFile: paths.rejects,
    settings,
    connector,
    fields: configFields(connector.source.config, RESERVED_FLAGS),
  }
}

/**
 * Secrets are never stored, so a stored job takes them again: from the connector's env variables or its
 * secret flags (`--api-key`), parsed here once the job (and so the connector) is known.
 */
export async function parseWithSecrets(
  argv: string[],
  job: StoredJob,
  flags: Interfaces.FlagInput,
): Promise<{ flags: Record<string, unknown>; config: Record<string, unknown> }> {
  const secrets = job.fields.filter((f) => f.secret)
  const parsed = await Parser.parse(argv, {
    args: { id: Args.string({ required: true }) },
    flags: { ...oclifFlags(secrets, { requireFields: false }), ...flags },
    strict: true,
  })
  const values = parsed.flags as Record<string, unknown>
  return { flags: values, config: { ...job.state.config, ...flagsToConfig(secrets, values) } }
}

/**
 * The secret flags of every installed connector (`--api-key`, `--api-secret`, ...). A stored job's connector
 * is known only once its id is read, so the first parse must accept any of them; `parseWithSecrets` then
 * holds the argv to the job's own connector.
 */
export function secretFlagsOfEveryConnector(): Interfaces.FlagInput {
  const out: Interfaces.FlagInput = {}
  for (const connector of CONNECTORS.values()) {
    const secrets = configFields(connector.source.config, RESERVED_FLAGS).filter((f) => f.secret)
    Object.assign(out, oclifFlags(secrets, { requireFields: false }))
  }
  return out
}

/** The source a stored job runs: the connector's, or a replay of another job's rejects. */
export function storedSource(job: StoredJob) {
  const r = job.settings.reprocess
  return r
    ? createReprocessSource(job.connector.source, {
        rejectsFile: r.rejectsFile,
        identity: r.identity,
        ...(r.codes ? { codes: r.codes } : {}),
        ...(r.rejectsDigest ? { rejectsDigest: r.rejectsDigest } : {}),
        ...(r.partitions ? { partitions: r.partitions as Partition[] } : {}),
      })
    : job.connector.source
}

export async function storedTransform(settings: JobSettings) {
  return settings.transformFile ? await loadTransformModule(settings.transformFile) : undefined
}
