import { Args } from '@oclif/core'
import { exportSkipped, type JobState, loadJob, partitionLoaded } from '@ph-import/core'
import { BaseCommand } from '../../base-command.js'
import { stateFlags } from '../../run/common-flags.js'
import { dayChart } from '../../ui/day-chart.js'
import { counts, n, table } from '../../ui/format.js'

function byDay(state: JobState) {
  const out: Record<string, { staged: number; loaded: number }> = {}
  for (const p of state.partitions) {
    for (const [day, count] of Object.entries(p.transform.byDay)) {
      const d = out[day] ?? { staged: 0, loaded: 0 }
      out[day] = d
      d.staged += count
      if (p.load.status === 'done') d.loaded += count
    }
  }
  return out
}

function rejectsByCode(state: JobState, fromReport: Record<string, number> | undefined) {
  if (fromReport) return fromReport
  const out: Record<string, number> = {}
  for (const p of state.partitions)
    for (const [code, count] of Object.entries(p.transform.rejectsByCode))
      out[code] = (out[code] ?? 0) + count
  return out
}

export default class JobsShow extends BaseCommand {
  static override summary = 'Show one job: partitions, counts, rejects by reason and events per day'
  static override examples = [
    '<%= config.bin %> jobs show amplitude-3f2a',
    '<%= config.bin %> jobs show csv --json',
  ]
  static override args = {
    id: Args.string({ description: 'job id (a unique prefix is enough)', required: true }),
  }
  static override flags = stateFlags

  async run(): Promise<void> {
    const { args, flags } = await this.parse(JobsShow)
    const { state, report, paths, checkpoint } = await loadJob(flags['state-dir'], args.id)
    const days = byDay(state)
    const rejects = rejectsByCode(state, report?.rejectsByCode)
    if (this.jsonMode) {
      this.out('', { type: 'job', state, report: report ?? null, eventsByDay: days, rejectsByCode: rejects })
      return
    }
    const parts = state.partitions
    const sum = (f: (p: (typeof parts)[number]) => number) => parts.reduce((a, p) => a + f(p), 0)
    this.out(
      [
        `${state.jobId}  ${state.source} → ${state.destination}`,
        `  status      ${state.status}${state.error ? `: ${state.error.message}` : ''} (runs: ${state.runs})`,
        `  created     ${state.createdAt}   updated ${state.updatedAt}`,
        `  config      ${JSON.stringify(state.config)}`,
        `  records     ${n(sum((p) => p.export.records + exportSkipped(p)))} read, ${n(sum((p) => p.transform.filtered + exportSkipped(p)))} filtered, ${n(sum((p) => p.transform.rejected))} rejected`,
        `  events      ${n(sum((p) => p.transform.events))} staged, ${n(sum((p) => partitionLoaded(p, checkpoint)))} loaded, ${n(sum((p) => p.load.deadLettered))} dead-lettered`,
        `  rejects     ${Object.keys(rejects).length > 0 ? counts(rejects) : 'none'}`,
        `  job dir     ${paths.dir}`,
        '',
        table(
          ['PARTITION', 'KIND', 'EXPORT', 'TRANSFORM', 'LOAD', 'RECORDS', 'EVENTS', 'LOADED', 'REJECTED'],
          parts.map((p) => [
            p.key,
            p.kind,
            p.export.status,
            p.transform.status,
            p.load.status,
            n(p.export.records + exportSkipped(p)),
            n(p.transform.events),
            n(partitionLoaded(p, checkpoint)),
            n(p.transform.rejected + p.load.deadLettered),
          ]),
        ),
        '',
        'Events per day (█ loaded, ░ staged, · none):',
        dayChart(days),
        ...(state.warnings.length > 0 ? ['', 'Warnings:', ...state.warnings.map((w) => `  ${w}`)] : []),
      ].join('\n'),
    )
  }
}
