import { Args, Flags } from '@oclif/core'
import { appHost, ConfigError, countEventsByDay, type JobState, loadJob } from '@ph-import/core'
import { BaseCommand, EXIT } from '../base-command.js'
import { stateFlags } from '../run/common-flags.js'
import { readJobSettings } from '../run/job-settings.js'
import { n, table } from '../ui/format.js'

const DAY_MS = 86_400_000

/** Events per UTC day of the partitions that finished loading (what PostHog acknowledged). */
function loadedByDay(state: JobState): Map<string, number> {
  const out = new Map<string, number>()
  for (const p of state.partitions) {
    if (p.load.status !== 'done') continue
    for (const [day, count] of Object.entries(p.transform.byDay)) out.set(day, (out.get(day) ?? 0) + count)
  }
  return out
}

const nextDay = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10)

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
      required: true,
      helpGroup: 'POSTHOG',
    }),
    'project-id': Flags.string({
      description: 'PostHog project id (the number in the project settings)',
      env: 'POSTHOG_PROJECT_ID',
      required: true,
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
    const { state, paths } = await loadJob(flags['state-dir'], args.id)
    const settings = await readJobSettings(paths.dir)
    if (settings.dryRun && !flags['posthog-host'])
      throw new ConfigError(`job ${state.jobId} was a dry run: nothing was sent to PostHog`)
    const host = flags['posthog-host'] ?? settings.posthogHost
    const importSource = flags['import-source'] ?? state.source
    const job = loadedByDay(state)
    const days = [...job.keys()].sort()
    const first = days[0]
    const last = days[days.length - 1]
    if (!first || !last) {
      this.out(`Job ${state.jobId} has no loaded events to verify yet.`, {
        type: 'verify',
        jobId: state.jobId,
        ok: true,
        days: [],
      })
      return
    }
    const posthog = await countEventsByDay({
      host,
      personalApiKey: flags['personal-api-key'],
      projectId: flags['project-id'],
      importSource,
      from: first,
      to: nextDay(last),
    })
    const rows = [...new Set([...days, ...posthog.keys()])].sort().map((day) => ({
      day,
      job: job.get(day) ?? 0,
      posthog: posthog.get(day) ?? 0,
    }))
    const short = rows.filter((r) => r.posthog < r.job)
    const over = rows.filter((r) => r.posthog > r.job)
    const total = (pick: (r: (typeof rows)[number]) => number) => rows.reduce((a, r) => a + pick(r), 0)
    const missing = short.reduce((a, r) => a + r.job - r.posthog, 0)
    const pending = state.partitions.filter((p) => p.load.status !== 'done').length
    const deadLettered = state.partitions.reduce((a, p) => a + p.load.deadLettered, 0)
    const where = `PostHog ${appHost(host)} (project ${flags['project-id']})`
    const lines = [
      `Verify ${state.jobId} against ${where}, $import_source = ${importSource}, ${first} → ${last}`,
      `  days        ${n(rows.length)} compared: ${n(rows.length - short.length - over.length)} match, ${n(short.length)} short, ${n(over.length)} over`,
      `  events      job ${n(total((r) => r.job))} loaded, PostHog ${n(total((r) => r.posthog))}${missing > 0 ? ` (${n(missing)} missing)` : ''}`,
    ]
    if (pending > 0)
      lines.push(`  note        ${n(pending)} partitions are not loaded yet; their days are left out`)
    if (deadLettered > 0)
      lines.push(
        `  note        ${n(deadLettered)} events were dead-lettered while loading; their days count them`,
      )
    const differing = [...short, ...over].sort((a, b) => a.day.localeCompare(b.day))
    if (differing.length > 0) {
      lines.push(
        '',
        table(
          ['DAY', 'JOB', 'POSTHOG', 'DIFFERENCE'],
          differing.map((r) => [
            r.day,
            n(r.job),
            n(r.posthog),
            `${r.posthog > r.job ? '+' : ''}${n(r.posthog - r.job)}`,
          ]),
        ),
      )
    } else lines.push('', 'Every day matches.')
    if (short.length > 0)
      lines.push(
        '',
        'PostHog ingests asynchronously (historical imports can take longer): run verify again in a while.',
        'Days still short after that were not kept by PostHog (for example a project over its quota); the original',
        'command with --fresh sends the job again, and PostHog deduplicates what it already has by uuid.',
      )
    if (over.length > 0 && short.length === 0)
      lines.push(
        '',
        `Days over are other events with $import_source = ${importSource} (another import of the same source).`,
      )
    this.out(lines.join('\n'), {
      type: 'verify',
      jobId: state.jobId,
      host: appHost(host),
      projectId: flags['project-id'],
      importSource,
      from: first,
      to: last,
      ok: short.length === 0,
      missing,
      days: rows,
    })
    if (short.length > 0) this.exit(EXIT.failed)
  }
}
