import { listJobs } from '@ph-import/core'
import { BaseCommand } from '../../base-command.js'
import { stateFlags } from '../../run/common-flags.js'
import { DRY_RUN_DESTINATION } from '../../run/destinations.js'
import { n, table } from '../../ui/format.js'

export default class Jobs extends BaseCommand {
  static override summary = 'List import jobs with their status and progress'
  static override examples = [
    '<%= config.bin %> jobs',
    '<%= config.bin %> jobs --state-dir /data/ph-import --json',
  ]
  static override flags = stateFlags

  async run(): Promise<void> {
    const { flags } = await this.parse(Jobs)
    const jobs = await listJobs(flags['state-dir'])
    if (this.jsonMode) {
      this.out('', { type: 'jobs', jobs })
      return
    }
    if (jobs.length === 0) {
      this.out(`No jobs in ${flags['state-dir']} yet. Start one with \`ph-import <connector> ...\`.`)
      return
    }
    this.out(
      table(
        ['JOB', 'SOURCE', 'STATUS', 'PARTITIONS', 'LOADED', 'STAGED', 'REJECTED', 'UPDATED'],
        jobs.map((j) => [
          j.jobId,
          j.source,
          // A dry run "loads" into a file: it must not read as an import.
          j.destination === DRY_RUN_DESTINATION ? `${j.status} (dry run)` : j.status,
          `${j.partitions.loaded}/${j.partitions.total}`,
          n(j.events.loaded),
          n(j.events.staged),
          // As in `jobs show`: records the transform rejected and events dead-lettered while loading.
          n(j.rejectedRecords + j.events.deadLettered),
          j.updatedAt.slice(0, 19).replace('T', ' '),
        ]),
      ),
    )
  }
}
