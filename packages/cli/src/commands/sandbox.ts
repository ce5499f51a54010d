import { existsSync } from 'node:fs'
import path from 'node:path'
import { Flags } from '@oclif/core'
import { ConfigError } from '@ph-import/core'
import { DEFAULT_PERSONAL_API_KEY, SANDBOX_PROJECT_ID } from '@ph-import/sandbox'
import { BaseCommand } from '../base-command.js'
import { connectorNamed } from '../connectors/registry.js'
import { startLocalServices } from '../run/local-services.js'

const port = (description: string, fallback: number) =>
  Flags.integer({
    description: `${description} (0 picks a free port)`,
    default: fallback,
    min: 0,
    max: 65535,
  })

export default class Sandbox extends BaseCommand {
  static override summary = 'Run a local PostHog sandbox plus fake Mixpanel and Amplitude APIs to import from'
  static override description =
    'Everything listens on 127.0.0.1 only and runs until Ctrl-C. The printed commands import the fakes’ seeded data into the sandbox.'
  static override flags = {
    port: port('sandbox (PostHog capture) port', 8010),
    'amplitude-port': port('fake Amplitude Export API port', 4020),
    'mixpanel-port': port('fake Mixpanel API port', 4010),
    'data-dir': Flags.string({
      description: "sandbox storage directory, or ':memory:'",
      default: ':memory:',
    }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(Sandbox)
    const s = await startLocalServices({
      sandbox: flags.port,
      amplitude: flags['amplitude-port'],
      mixpanel: flags['mixpanel-port'],
      dataDir: flags['data-dir'],
    }).catch((error: NodeJS.ErrnoException & { port?: number }) => {
      if (error.code !== 'EADDRINUSE') throw error
      const flag = { [flags.port]: '--port', [flags['amplitude-port']]: '--amplitude-port' }[error.port ?? -1]
      throw new ConfigError(
        `port ${error.port ?? '?'} on 127.0.0.1 is in use (another sandbox still running?)`,
        {
          hint: `stop what holds it, or pass ${flag ?? '--mixpanel-port'} 0 for a free port`,
        },
      )
    })
    // The CSV examples ship in the repository, not in the published package: an absolute path, if present.
    const csvRoot = connectorNamed('csv')?.root
    const examples = csvRoot && path.join(csvRoot, 'examples')
    this.out(
      [
        `PostHog sandbox   ${s.sandbox.url}   (project key ${s.sandboxKey})`,
        `fake Amplitude    ${s.amplitude.url}`,
        `fake Mixpanel     ${s.mixpanel.url}`,
        '',
        'Paste these in another terminal:',
        '',
        `export POSTHOG_HOST=${s.sandbox.url} POSTHOG_PROJECT_API_KEY=${s.sandboxKey}`,
        `AMPLITUDE_API_KEY=${s.amplitude.apiKey} AMPLITUDE_SECRET_KEY=${s.amplitude.secretKey} \\`,
        `  ph-import amplitude --base-url ${s.amplitude.url} --start ${s.amplitude.start} --end ${s.amplitude.end} --yes`,
        `MIXPANEL_API_SECRET=${s.mixpanel.apiSecret} \\`,
        `  ph-import mixpanel --base-url ${s.mixpanel.url} --start ${s.mixpanel.start} --end ${s.mixpanel.end} \\`,
        `  --groups ${pairs(s.mixpanel.groups)} --group-profiles ${pairs(s.mixpanel.groupProfiles)} --yes`,
        ...(examples && existsSync(examples)
          ? [`ph-import csv --files '${path.join(examples, '*.csv')}' --yes`]
          : []),
        '',
        'Then count a job in the sandbox, day by day, through its query API:',
        `POSTHOG_PERSONAL_API_KEY=${DEFAULT_PERSONAL_API_KEY} POSTHOG_PROJECT_ID=${SANDBOX_PROJECT_ID} ph-import verify <job id the import printed>`,
        '',
        'Ctrl-C stops everything.',
      ].join('\n'),
      {
        type: 'sandbox',
        sandbox: s.sandbox.url,
        posthogKey: s.sandboxKey,
        amplitude: s.amplitude.url,
        mixpanel: s.mixpanel.url,
      },
    )
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve)
      process.once('SIGTERM', resolve)
    })
    const totals = await s.sandbox.stats()
    await s.close()
    this.out(
      `\nStopped. The sandbox received ${totals.received} events (${totals.unique_uuids} unique uuids).`,
    )
  }
}

/** `{a: '1'}` → `a=1`, as object flags take it. */
function pairs(object: Record<string, string>): string {
  return Object.entries(object)
    .map(([k, v]) => `${k}=${v}`)
    .join(',')
}
