import { Args } from '@oclif/core'
import { exportSkipped, isEventPartition, type JobState, loadJob, partitionLoaded } from '@ph-import/core'
import { BaseCommand } from '../../base-command.js'
import { stateFlags } from '../../run/common-flags.js'
import { dayChart } from '../../ui/day-chart.js'
import { counts, n, table } from '../../ui/format.js'

/** Events per day of these partitions. */
function byDay(partitions: JobState['partitions']) {
  const out: Record<string, { staged: number; loaded: number }> = {}
  for (const p of partitions) {
    for (const [day, count] of Object.entries(p.transform.byDay)) {
      const d = out[day] ?? { staged: 0, loaded: 0 }
      out[day] = d
      d.staged += count
      if (p.load.status === 'done') d.loaded += count
    }
  }
  return out
}

/** A line for the events of other partition kinds (profiles), which the day chart leaves out. */
function otherKinds(state: JobState): string[] {
  const others = state.partitions.filter((p) => !isEventPartition(p) && p.transform.events > 0)
  if (others.length === 0) return []
  const events = others.reduce((sum, p) => sum + p.transform.events, 0)
  const firsts = others.map((p) => p.transform.firstTimestamp).filter((t) => t !== undefined)
  const lasts = others.map((p) => p.transform.lastTimestamp).filter((t) => t !== undefined)
  const kinds = [...new Set(others.map((p) => p.kind))].join(', ')
  const range =
    firsts.length > 0
      ? `, dated ${firsts.sort()[0]?.slice(0, 10)} → ${lasts.sort().at(-1)?.slice(0, 10)}`
      : ''
  return [`  not charted: ${n(events)} events of ${kinds} partitions${range}`]
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
    const days = byDay(state.partitions)
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
        // Event partitions only: profiles are dated by when each person was created, years back.
        dayChart(byDay(state.partitions.filter(isEventPartition))),
        ...otherKinds(state),
        ...(state.warnings.length > 0 ? ['', 'Warnings:', ...state.warnings.map((w) => `  ${w}`)] : []),
      ].join('\n'),
    )
  }
}
