import { Args, Flags } from '@oclif/core'
import { appHost, ConfigError, loadJob, verifyJob } from '@ph-import/core'
import { BaseCommand, EXIT } from '../base-command.js'
import { stateFlags } from '../run/common-flags.js'
import { readJobSettings } from '../run/job-settings.js'
import { n, table } from '../ui/format.js'

export default class Verify extends BaseCommand {
  static override summary = "Count a job's events in PostHog, day by day, and compare with what it loaded"
  static override description =
    "PostHog answers 200 even when it does not keep events (a project over its quota), so a finished job proves delivery, not ingestion. This asks PostHog's query API for the distinct events per UTC day carrying the job's $import_source, and lists the days that differ. It needs a personal API key (phx_) with the Query Read scope and the project id; neither is stored. PostHog ingests asynchronously: right after an import, recent days may still be short."
  static override examples = [
    'POSTHOG_PERSONAL_API_KEY=phx_... POSTHOG_PROJECT_ID=12345 <%= config.bin %> verify amplitude-3f2a',
  ]
  static override args = {
    id: Args.string({ description: 'job id (a unique prefix is enough)', required: true }),
  }
  static override flags = {
    'personal-api-key': Flags.string({
      description: 'PostHog personal API key (phx_…) with the Query Read scope',
      env: 'POSTHOG_PERSONAL_API_KEY',
      helpGroup: 'POSTHOG',
    }),
    'project-id': Flags.string({
      description: 'PostHog project id (the number in the project settings)',
      env: 'POSTHOG_PROJECT_ID',
      helpGroup: 'POSTHOG',
    }),
    'posthog-host': Flags.string({
      description: "PostHog host (default: the job's; an ingestion host is mapped to its app host)",
      helpGroup: 'POSTHOG',
    }),
    'import-source': Flags.string({
      description: "the events' $import_source (default: the job's connector name)",
    }),
    ...stateFlags,
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Verify)
    // Checked here rather than by oclif, whose message names neither the variables nor where to find them.
    const missing = [
      ['--personal-api-key', 'POSTHOG_PERSONAL_API_KEY', flags['personal-api-key']],
      ['--project-id', 'POSTHOG_PROJECT_ID', flags['project-id']],
    ].filter(([, , value]) => value === undefined)
    if (missing.length > 0)
      throw new ConfigError(
        `verify needs ${missing.map(([flag, env]) => `${flag} (or ${env})`).join(' and ')}`,
        {
          hint: 'a personal API key (phx_…) with the Query Read scope, and the project id: both in PostHog’s settings (Personal API keys; Project → General)',
        },
      )
    const personalApiKey = flags['personal-api-key'] as string
    const projectId = flags['project-id'] as string
    const { state, paths } = await loadJob(flags['state-dir'], args.id)
    const settings = await readJobSettings(paths.dir)
    if (settings.dryRun && !flags['posthog-host'])
      throw new ConfigError(`job ${state.jobId} was a dry run: nothing was sent to PostHog`)
    const host = flags['posthog-host'] ?? settings.posthogHost
    const importSource = flags['import-source'] ?? state.source
    const v = await verifyJob(state, {
      host,
      personalApiKey,
      projectId,
      importSource,
    })
    const json = {
      type: 'verify',
      jobId: state.jobId,
      host: appHost(host),
      projectId,
      importSource,
      ok: v.short.length === 0,
      missing: v.missing,
      days: v.days,
    }
    const first = v.days[0]?.day
    const last = v.days.at(-1)?.day
    if (!first || !last) {
      this.out(`Job ${state.jobId} has no loaded events to verify yet.`, json)
      return
    }
    const pending = state.partitions.filter((p) => p.load.status !== 'done').length
    const deadLettered = state.partitions.reduce((a, p) => a + p.load.deadLettered, 0)
    const lines = [
      `Verify ${state.jobId} against PostHog ${appHost(host)} (project ${projectId}), $import_source = ${importSource}, ${first} → ${last}`,
      `  days        ${n(v.days.length)} compared: ${n(v.days.length - v.short.length - v.over.length)} match, ${n(v.short.length)} short, ${n(v.over.length)} over`,
      `  events      job ${n(v.loaded)} loaded${pending > 0 ? ' on those days' : ''}, PostHog ${n(v.inPostHog)}${v.missing > 0 ? ` (${n(v.missing)} missing)` : ''}`,
    ]
    if (pending > 0)
      lines.push(
        `  note        ${n(pending)} partitions are not wholly loaded yet; their days are left out until they are`,
      )
    if (deadLettered > 0)
      lines.push(
        `  note        ${n(deadLettered)} events were dead-lettered while loading; their days count them`,
      )
    const differing = [...v.short, ...v.over].sort((a, b) => a.day.localeCompare(b.day))
    if (differing.length > 0) {
      const diff = (d: (typeof differing)[number]) => `${d.posthog > d.job ? '+' : ''}${n(d.posthog - d.job)}`
      lines.push(
        '',
        table(
          ['DAY', 'JOB', 'POSTHOG', 'DIFFERENCE'],
          differing.map((d) => [d.day, n(d.job), n(d.posthog), diff(d)]),
        ),
      )
    } else lines.push('', 'Every day matches.')
    if (v.short.length > 0)
      lines.push(
        '',
        'PostHog ingests asynchronously (historical imports can take longer): run verify again in a while.',
        'Days still short after that were not kept by PostHog (for example a project over its quota); the original',
        'command with --fresh sends the job again, and PostHog deduplicates what it already has by uuid.',
      )
    else if (v.over.length > 0)
      lines.push(
        '',
        `Days over hold other events with $import_source = ${importSource}: another import (\`ph-import jobs\` lists this directory's). If it sent the same data with other settings, those events are in PostHog twice: see "Changing settings after an import" in docs/migrating.md.`,
      )
    this.out(lines.join('\n'), json)
    if (v.short.length > 0) this.exit(EXIT.failed)
  }
}
