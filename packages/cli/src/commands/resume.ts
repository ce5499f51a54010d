import { Args, Flags } from '@oclif/core'
import { loadJob } from '@ph-import/core'
import { BaseCommand } from '../base-command.js'
import { sendFlags } from '../run/common-flags.js'
import { defined, runOptions, type SendFlagValues } from '../run/from-flags.js'
import type { JobSettings } from '../run/job-settings.js'
import { runJob } from '../run/run-job.js'
import {
  oneJobId,
  openStoredJob,
  parseWithSecrets,
  secretFlagsOfEveryConnector,
  storedSource,
  storedTransform,
} from '../run/stored-job.js'
import { formatReport } from '../ui/report.js'

const { 'posthog-host': _host, output: _output, 'dry-run': _dry, ...overridable } = sendFlags
const flags = {
  ...overridable,
  'posthog-host': Flags.string({
    description: 'PostHog host (default: the one the job was started with)',
    helpGroup: 'POSTHOG',
  }),
}

export default class Resume extends BaseCommand {
  static override summary = 'Continue a job from its saved state (after Ctrl-C, a crash or a failure)'
  static override description =
    'The connector config, mapping, transform and destination come from the job directory. Secrets are never stored: give them again through their environment variables or flags (e.g. --api-key).'
  static override examples = [
    'POSTHOG_PROJECT_API_KEY=phc_... AMPLITUDE_API_KEY=... AMPLITUDE_SECRET_KEY=... <%= config.bin %> resume amplitude-3f2a9c',
  ]
  static override args = {
    id: Args.string({
      description:
        'one job id, a unique prefix is enough (oclif shows ID... because the flags are parsed in two steps)',
      required: true,
    }),
  }
  static override flags = flags
  // One id: the loose parse below would otherwise show `ID...`.
  static override usage = '<%= command.id %> ID [FLAGS]'
  // Connector secret flags (--api-key, ...) are only known once the job is found; parsed in run().
  static override strict = false

  async run(): Promise<void> {
    const {
      args,
      argv,
      flags: first,
    } = await this.parse({
      ...Resume,
      flags: { ...flags, ...secretFlagsOfEveryConnector() },
    })
    oneJobId(argv)
    const done = await loadJob(first['state-dir'], args.id)
    // A finished job has nothing left to send: say so without asking for its secrets again.
    if (done.state.status === 'done' && done.report) {
      const { jobId } = done.state
      this.out(
        `${formatReport(done.report)}\n\nJob ${jobId} is done: nothing left to resume. To import the same range again from the start, run the original command with --fresh (events sent again keep their uuids, which PostHog deduplicates).`,
        { type: 'summary', jobId, jobDir: done.paths.dir, status: 'done', exitCode: 0, report: done.report },
      )
      return
    }
    const job = await openStoredJob(first['state-dir'], args.id)
    const parsed = await parseWithSecrets(this.argv, job, flags)
    const values = parsed.flags as unknown as SendFlagValues
    const settings: JobSettings = {
      ...job.settings,
      posthogHost: (values['posthog-host'] as string | undefined) ?? job.settings.posthogHost,
      ...defined({
        rate: values.rate,
        batchSize: values['batch-size'],
        workers: values.workers,
        maxStagedGb: values['max-staged'],
        keepStaged: values['keep-staged'],
      }),
    }
    const { exitCode } = await runJob({
      source: storedSource(job),
      fields: job.fields,
      config: parsed.config,
      settings,
      transformHook: await storedTransform(job.settings),
      // A replay of rejects runs a source built here, not one a worker could import.
      ...(job.settings.reprocess ? {} : { sourceModule: job.connector.module }),
      options: { ...runOptions({ ...values, 'dry-run': settings.dryRun }), fresh: false },
      jobId: job.state.jobId,
    })
    if (exitCode !== 0) this.exit(exitCode)
  }
}
