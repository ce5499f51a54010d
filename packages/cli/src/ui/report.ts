import type { JobReport } from '@ph-import/core'
import { DRY_RUN_DESTINATION } from '../run/destinations.js'
import { counts, duration, n } from './format.js'

const STATUS: Record<string, string> = {
  done: 'done',
  failed: 'FAILED',
  incomplete: 'INCOMPLETE (some partitions failed)',
  interrupted: 'interrupted',
  planned: 'planned, not started',
  running: 'running',
}

/** Records were read and every one was rejected: nothing was sent (exit code 1, and the summary says so). */
export function rejectedEverything(report: Pick<JobReport, 'records'>): boolean {
  const r = report.records
  return r !== undefined && r.read > 0 && r.staged === 0 && r.rejected > 0
}

/** The end-of-run summary: what was loaded, filtered and rejected, and where to look next. */
export function formatReport(report: JobReport, extra: { outputFile?: string } = {}): string {
  const e = report.events
  const r = report.records
  // A dry run's events went to a file: "loaded" would read as sent to PostHog.
  const verb = report.destination === DRY_RUN_DESTINATION ? 'written' : 'loaded'
  // Records and events differ when a record gives several events (a Mixpanel merge adds an $identify).
  const made = e.staged !== r.staged ? ` (${n(e.staged)} events made from ${n(r.staged)} records)` : ''
  const lines = [
    `${report.source} job ${report.jobId}: ${STATUS[report.status] ?? report.status} in ${duration(report.durationMs / 1000)}`,
    `  partitions  ${report.partitions.loaded}/${report.partitions.total} ${verb}${report.partitions.failed ? `, ${report.partitions.failed} failed` : ''}`,
    `  records     ${n(r.read)} read, ${n(r.staged)} staged, ${n(r.filtered)} filtered, ${n(r.rejected)} rejected`,
    `  events      ${n(e.loaded)} ${verb}, ${n(e.deadLettered)} dead-lettered, ${n(e.pending)} pending${made}`,
  ]
  // The names, most frequent first: a dry run is where a wrong or unmapped name shows.
  const names = Object.entries(report.eventsByName).sort(([, a], [, b]) => b - a)
  if (names.length > 0) {
    const shown = counts(Object.fromEntries(names.slice(0, 8)))
    lines.push(`  by name     ${shown}${names.length > 8 ? `, and ${n(names.length - 8)} more names` : ''}`)
  }
  if (r.filtered > 0) lines.push(`  filtered    ${counts(report.filteredByReason)}`)
  const rejected = Object.values(report.rejectsByCode).reduce((a, b) => a + b, 0)
  if (rejected > 0) lines.push(`  rejected    ${counts(report.rejectsByCode)}`)
  if (report.status === 'done' && rejectedEverything(report))
    lines.push(
      '  note        every record read was rejected, so nothing was sent (exit code 1): the reasons above say what to change',
    )
  if (report.firstTimestamp)
    lines.push(`  time range  ${report.firstTimestamp} → ${report.lastTimestamp ?? report.firstTimestamp}`)
  if (!report.accounting.ok)
    lines.push(`  accounting  ${report.accounting.records}; ${report.accounting.events}`)
  if (report.error)
    lines.push(
      `  error       ${report.error.message}${report.error.hint ? `\n              ${report.error.hint}` : ''}`,
    )
  for (const w of report.warnings.slice(0, 5)) lines.push(`  warning     ${w}`)
  if (report.warnings.length > 5)
    lines.push(`  …and ${report.warnings.length - 5} more warnings (ph-import jobs show ${report.jobId})`)
  if (extra.outputFile) lines.push(`  events file ${extra.outputFile}`)
  lines.push(`  job dir     ${report.rejectsFile.replace(/\/rejects\.jsonl$/, '')}`)
  if (rejected > 0) lines.push(`  rejects     ${report.rejectsFile} (ph-import rejects ${report.jobId})`)
  return lines.join('\n')
}

/** The plan shown before anything is sent. */
export function formatPlan(plan: {
  source: string
  range: string | undefined
  partitions: number
  resumed: boolean
  destination: string
  /** Undefined: not paced (a dry run without --rate). */
  rate: number | undefined
  estimate?: { seconds: number; note: string } | undefined
  jobId: string
}): string {
  const lines = [
    `${plan.resumed ? 'Resuming' : 'Plan'}: ${plan.source} → ${plan.destination}`,
    ...(plan.range ? [`  range       ${plan.range}`] : []),
    `  partitions  ${n(plan.partitions)}`,
    // How long a volume takes at the rate: the event count is not known before the export.
    `  rate        ${plan.rate === undefined ? 'not paced (a dry run sends nothing)' : `${n(plan.rate)} events/s (a million events every ${duration(1e6 / plan.rate)})`}`,
    ...(plan.estimate ? [`  estimate    ${duration(plan.estimate.seconds)} (${plan.estimate.note})`] : []),
    `  job         ${plan.jobId}`,
  ]
  return lines.join('\n')
}
