import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Flags } from '@oclif/core'
import { loadJob, verifyJob } from '@ph-import/core'
import { DEFAULT_PERSONAL_API_KEY, SANDBOX_PROJECT_ID } from '@ph-import/sandbox'
import { BaseCommand, EXIT } from '../base-command.js'
import { connectorNamed } from '../connectors/registry.js'
import { configFields } from '../connectors/schema-flags.js'
import { RESERVED_FLAGS } from '../run/common-flags.js'
import { type LocalServices, startLocalServices } from '../run/local-services.js'
import { runJob } from '../run/run-job.js'
import { counts, n } from '../ui/format.js'

async function csvExamples(root: string): Promise<string[]> {
  const dir = path.join(root, 'examples')
  const names = await readdir(dir).catch(() => [] as string[])
  return names.filter((f) => /\.csv(\.gz)?$/.test(f)).map((f) => path.join(dir, f))
}

export default class Demo extends BaseCommand {
  static override summary = 'Import sample Amplitude, Mixpanel and CSV data into a throwaway local sandbox'
  static override description =
    'Starts the PostHog sandbox and the fake Amplitude and Mixpanel APIs on random local ports, runs three imports into the sandbox, prints their summaries and the sandbox totals, and exits. Nothing leaves 127.0.0.1.'
  static override flags = {
    'keep-state': Flags.boolean({ description: 'keep the temporary job directories (printed at the end)' }),
    debug: Flags.boolean({ description: 'show stack traces and debug logs' }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(Demo)
    const stateDir = await mkdtemp(path.join(tmpdir(), 'ph-import-demo-'))
    const services = await startLocalServices({ sandbox: 0, amplitude: 0, mixpanel: 0, dataDir: ':memory:' })
    let failed = 0
    try {
      for (const [name, config] of await this.imports(services)) {
        const connector = connectorNamed(name)
        if (!connector) {
          this.warn(`the ${name} connector is not installed; skipped`)
          continue
        }
        this.out(`\n=== ${name} ===`)
        const { exitCode, result } = await runJob({
          source: connector.source,
          fields: configFields(connector.source.config, RESERVED_FLAGS),
          config,
          settings: { connector: name, posthogHost: services.sandbox.url, rate: 5000, dryRun: false },
          transformHook: undefined,
          options: {
            posthogKey: services.sandboxKey,
            stateDir,
            fresh: true,
            json: false,
            yes: true,
            debug: flags.debug,
            interactive: false,
          },
        })
        if (exitCode !== 0) failed++
        else if (!(await this.verify(services, stateDir, result.jobId, name))) failed++
      }
      const totals = await services.sandbox.stats()
      this.out(
        [
          '',
          `=== sandbox ${services.sandbox.url} ===`,
          `  received    ${n(totals.received)} events, ${n(totals.unique_uuids)} unique uuids, ${n(totals.duplicates)} duplicates`,
          `  people      ${n(totals.distinct_ids)} distinct ids`,
          `  top events  ${counts(
            Object.fromEntries(
              Object.entries(totals.events_by_name)
                .sort(([, a], [, b]) => b - a)
                .slice(0, 8),
            ),
          )}`,
        ].join('\n'),
      )
    } finally {
      await services.close()
      if (flags['keep-state'])
        this.out(`\nJob state kept in ${stateDir} (pass --state-dir ${stateDir} to jobs and rejects)`)
      else {
        await rm(stateDir, { recursive: true, force: true })
        // The summaries above name job directories and commands for them: say they are gone.
        this.out(
          '\nThe job directories named above were temporary and are removed: pass --keep-state to keep them.',
        )
      }
    }
    if (failed > 0) this.exit(EXIT.failed)
  }

  /** `ph-import verify`, as a user would run it next: the sandbox counts what it kept, day by day. */
  private async verify(
    services: LocalServices,
    stateDir: string,
    jobId: string,
    source: string,
  ): Promise<boolean> {
    const { state } = await loadJob(stateDir, jobId)
    const v = await verifyJob(state, {
      host: services.sandbox.url,
      personalApiKey: DEFAULT_PERSONAL_API_KEY,
      projectId: SANDBOX_PROJECT_ID,
      importSource: source,
    })
    const verdict =
      v.short.length === 0
        ? 'every day matches'
        : `${n(v.short.length)} days short, ${n(v.missing)} events missing`
    this.out(
      `  verified    PostHog holds ${n(v.inPostHog)} of the ${n(v.loaded)} events loaded, over ${n(v.days.length)} days: ${verdict} (ph-import verify)`,
    )
    return v.short.length === 0
  }

  private async imports(s: LocalServices): Promise<Array<[string, Record<string, unknown>]>> {
    const list: Array<[string, Record<string, unknown>]> = [
      [
        'amplitude',
        {
          apiKey: s.amplitude.apiKey,
          secretKey: s.amplitude.secretKey,
          baseUrl: s.amplitude.url,
          start: s.amplitude.start,
          end: s.amplitude.end,
        },
      ],
      [
        'mixpanel',
        {
          apiSecret: s.mixpanel.apiSecret,
          baseUrl: s.mixpanel.url,
          start: s.mixpanel.start,
          end: s.mixpanel.end,
          groups: s.mixpanel.groups,
          groupProfiles: s.mixpanel.groupProfiles,
        },
      ],
    ]
    const csv = connectorNamed('csv')
    const files = csv ? await csvExamples(csv.root) : []
    if (files.length > 0) list.push(['csv', { files }])
    else
      this.warn('no CSV examples found (packages/connectors/csv/examples/*.csv); the CSV import is skipped')
    return list
  }
}
