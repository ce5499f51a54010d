import { copyFile, writeFile } from 'node:fs/promises'
import { Args, Flags } from '@oclif/core'
import { ConfigError, RETRYABLE_REMEDIES, type RejectAdvice, rejectAdvice, sha256File } from '@ph-import/core'
import { BaseCommand } from '../base-command.js'
import { sendFlags } from '../run/common-flags.js'
import { absolute, defined, runOptions, type SendFlagValues } from '../run/from-flags.js'
import type { JobSettings } from '../run/job-settings.js'
import { summarizeRejects } from '../run/rejects-file.js'
import { runJob } from '../run/run-job.js'
import {
  oneJobId,
  openStoredJob,
  parseWithSecrets,
  secretFlagsOfEveryConnector,
  storedSource,
  storedTransform,
} from '../run/stored-job.js'
import { loadMappingFile } from '../run/user-files.js'
import { n, table } from '../ui/format.js'

// A retry replays dead letters through a source built here, which worker threads cannot import: no --workers.
const { 'posthog-host': _host, output: _output, workers: _workers, ...send } = sendFlags
const flags = {
  ...send,
  'posthog-host': Flags.string({
    description: 'PostHog host (default: the original job’s)',
    helpGroup: 'POSTHOG',
  }),
  output: Flags.string({ char: 'o', description: 'export the dead letters (JSON lines) to this file' }),
  retry: Flags.boolean({
    description: 're-process the rejects (after fixing the mapping): a new job sends the ones that now pass',
  }),
  mapping: Flags.string({
    description: 'with --retry: the fixed mapping file (default: the original job’s)',
  }),
  code: Flags.string({ description: 'with --retry: only rejects with these reason codes', multiple: true }),
}

export default class Rejects extends BaseCommand {
  static override summary = "Summarize, export or re-process a job's dead letters"
  static override description =
    'Every record or event that was not imported is in the job’s rejects file with a reason code. --retry replays them through the connector’s transform (or as-is for events PostHog refused) with the same uuids, under a new job, so fixing the mapping and retrying never duplicates.'
  static override examples = [
    '<%= config.bin %> rejects csv-9ee01f12',
    '<%= config.bin %> rejects csv-9ee01f12 --output rejects.jsonl',
    '<%= config.bin %> rejects csv-9ee01f12 --retry --mapping fixed.yaml --yes',
  ]
  static override args = {
    id: Args.string({
      description:
        'one job id, a unique prefix is enough (oclif shows ID... because the flags are parsed in two steps)',
      required: true,
    }),
  }
  static override flags = flags
  // One id (checked in run): the loose parse, for the job's secret flags, would otherwise show `ID...`.
  static override usage = '<%= command.id %> ID [FLAGS]'
  static override strict = false

  async run(): Promise<void> {
    const {
      args,
      argv,
      flags: first,
    } = await this.parse({
      ...Rejects,
      flags: { ...Rejects.flags, ...secretFlagsOfEveryConnector() },
    })
    oneJobId(argv)
    const job = await openStoredJob(first['state-dir'], args.id)
    const summary = await summarizeRejects(job.rejectsFile)
    if (first.output) {
      const out = first.output
      await copyFile(job.rejectsFile, out).catch(async (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') await writeFile(out, '')
        else throw error
      })
    }
    if (!first.retry) {
      const advised = summary.byCode.map((r) => ({
        ...r,
        ...rejectAdvice(r.code, job.connector.source.rejectCodes),
      }))
      this.out(
        summary.total === 0
          ? `Job ${job.state.jobId} has no rejects.`
          : [
              `Job ${job.state.jobId}: ${n(summary.total)} rejects (${job.rejectsFile})`,
              table(
                ['STAGE', 'CODE', 'COUNT', 'EXAMPLE'],
                advised.map((r) => [r.stage, r.code, n(r.count), clip(r.example, 100)]),
              ),
              ...(first.output ? [`Exported to ${first.output}`] : []),
              '',
              ...whatToDo(advised, job.state.jobId),
            ].join('\n'),
        { type: 'rejects', jobId: job.state.jobId, file: job.rejectsFile, ...summary, byCode: advised },
      )
      return
    }
    if (summary.total === 0) throw new ConfigError(`job ${job.state.jobId} has no rejects to retry`)
    const parsed = await parseWithSecrets(this.argv, job, flags)
    const values = parsed.flags as unknown as SendFlagValues & { mapping?: string; code?: string[] }
    const mapping = values.mapping ? await loadMappingFile(values.mapping) : job.settings.mapping
    const settings: JobSettings = {
      connector: job.settings.connector,
      posthogHost: (values['posthog-host'] as string | undefined) ?? job.settings.posthogHost,
      dryRun: values['dry-run'],
      ...defined({
        rate: values.rate ?? job.settings.rate,
        batchSize: values['batch-size'] ?? job.settings.batchSize,
        mapping,
        mappingFile: absolute(values.mapping) ?? job.settings.mappingFile,
        transformFile: job.settings.transformFile,
        maxStagedGb: values['max-staged'],
        keepStaged: values['keep-staged'],
      }),
      reprocess: {
        jobId: job.state.jobId,
        rejectsFile: job.rejectsFile,
        identity: job.state.identity,
        ...(values.code ? { codes: values.code } : {}),
        rejectsDigest: (await sha256File(job.rejectsFile)).slice(0, 16),
        claimed: job.state.partitions.filter((p) => p.transform.status === 'done').map((p) => p.key),
        partitions: job.state.partitions.map((p) => ({ key: p.key, kind: p.kind, params: p.params })),
      },
    }
    const { exitCode } = await runJob({
      source: storedSource({ ...job, settings }),
      fields: job.fields,
      config: parsed.config,
      settings,
      transformHook: await storedTransform(settings),
      options: runOptions(values),
    })
    if (exitCode !== 0) this.exit(exitCode)
  }
}

/**
 * A line per code saying what mends it, then the retry command for the codes a retry can send: a user is
 * not told to fix a mapping for a row no mapping can mend.
 */
function whatToDo(codes: ReadonlyArray<{ code: string } & Partial<RejectAdvice>>, jobId: string): string[] {
  const seen = new Set<string>()
  const lines = ['What to do:']
  for (const { code, advice } of codes) {
    if (seen.has(code)) continue
    seen.add(code)
    lines.push(`  ${code}: ${advice ?? "see the connector's README for this code"}`)
  }
  const retryable = [
    ...new Set(codes.filter((c) => c.remedy && RETRYABLE_REMEDIES.has(c.remedy)).map((c) => c.code)),
  ]
  if (retryable.length > 0) {
    const only = retryable.length < seen.size ? retryable.map((c) => ` --code ${c}`).join('') : ''
    lines.push(`Then send them again: ph-import rejects ${jobId} --retry [--mapping <file>]${only}`)
  }
  return lines
}

/** A long example is cut visibly: the whole message is in the rejects file (`--output`). */
function clip(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text
}
