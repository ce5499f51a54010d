import amplitude from '@ph-import/connector-amplitude'
import csv from '@ph-import/connector-csv'
import mixpanel from '@ph-import/connector-mixpanel'
import type { AnySource } from '@ph-import/core'
import { beforeAll, describe, expect, it } from 'vitest'
import { configFields } from '../src/connectors/schema-flags.js'
import { RESERVED_FLAGS } from '../src/run/common-flags.js'
import { cli, isolatedEnv, tempDir } from './helpers.js'

let dir: string
beforeAll(async () => {
  dir = await tempDir()
})

describe('generated connector help', () => {
  const sources = [amplitude, csv, mixpanel] as AnySource[]
  it.each(sources.map((s) => [s.name, s] as const))(
    '%s --help lists every flag of its schema',
    async (name, source) => {
      const { code, stdout } = await cli([name, '--help'], { cwd: dir, env: isolatedEnv(dir) })
      expect(code).toBe(0)
      expect(stdout).toContain(source.description)
      // Named here, not only derived from the schema as the CLI derives them: a schema the CLI could not
      // read would otherwise give no flags on both sides.
      const named: Record<string, string[]> = {
        amplitude: ['--api-key=', '--secret-key=', '--start=', '--end=', '--region='],
        csv: ['--files=', '--event-column=', '--timestamp-column=', '--groups=', '--[no-]strict-columns'],
        mixpanel: [
          '--project-id=',
          '--start=',
          '--timezone=',
          '--groups=',
          '--group-profiles=',
          '--[no-]profiles',
        ],
      }
      for (const flag of named[name] ?? []) expect(stdout).toContain(flag)
      expect(configFields(source.config, RESERVED_FLAGS).length).toBeGreaterThanOrEqual(8)
      for (const field of configFields(source.config, RESERVED_FLAGS)) {
        const shown = field.kind === 'boolean' ? `--[no-]${field.flag}` : `--${field.flag}=`
        if (field.hidden) expect(stdout).not.toContain(`--${field.flag}`)
        else expect(stdout).toContain(shown)
        if (field.env && !field.hidden) expect(stdout).toContain(`env: ${field.env}`)
      }
      for (const common of [
        '--posthog-host',
        '--posthog-key',
        '--rate',
        '--batch-size',
        '--mapping',
        '--transform',
        '--dry-run',
        '--state-dir',
        '--fresh',
        '--json',
        '--yes',
      ])
        expect(stdout).toContain(common)
    },
  )

  it('marks required flags, enum options and secrets from the schema', async () => {
    const { stdout } = await cli(['amplitude', '--help'], { cwd: dir, env: isolatedEnv(dir) })
    expect(stdout).toMatch(/--start=<value>\s+\(required\)/)
    expect(stdout).toContain('<options: us|eu>')
    expect(stdout).toMatch(/--secret-key=<value>\s+\[env: AMPLITUDE_SECRET_KEY\][\s\S]*secret: never stored/)
    expect(stdout).toContain('env: POSTHOG_PROJECT_API_KEY')
    // oclif heads the help with the summary and repeats it under DESCRIPTION: once there, not twice.
    const description = stdout.slice(stdout.indexOf('DESCRIPTION'), stdout.indexOf('EXAMPLES'))
    expect(description.split('Amplitude Export API: events by upload hour').length - 1).toBe(1)
  })

  it("shows a connector's own examples, each complete, or its required secrets when it has none", async () => {
    const mixpanel = (await cli(['mixpanel', '--help'], { cwd: dir, env: isolatedEnv(dir) })).stdout
    const examples = mixpanel.slice(mixpanel.indexOf('EXAMPLES'))
    // Mixpanel's alternatives (a service account, or an API secret) come with the flags each one needs.
    expect(examples).toContain(
      'MIXPANEL_SERVICE_ACCOUNT_SECRET=... POSTHOG_PROJECT_API_KEY=phc_... ph-import mixpanel --project-id 1234 --service-account-username',
    )
    expect(examples).toMatch(
      /MIXPANEL_API_SECRET=\.\.\. ph-import mixpanel --start \S+ --end \S+ --timezone \S+ --dry-run/,
    )
    const amplitude = (await cli(['amplitude', '--help'], { cwd: dir, env: isolatedEnv(dir) })).stdout
    expect(amplitude.slice(amplitude.indexOf('EXAMPLES'))).toContain(
      'AMPLITUDE_API_KEY=... AMPLITUDE_SECRET_KEY=...',
    )
  })

  it('root help and `connectors` list the bundled connectors and the commands', async () => {
    const help = await cli(['--help'], { cwd: dir, env: isolatedEnv(dir) })
    for (const id of [
      'amplitude',
      'csv',
      'mixpanel',
      'connectors',
      'jobs',
      'resume',
      'rejects',
      'sandbox',
      'demo',
    ])
      expect(help.stdout).toMatch(new RegExp(`^\\s+${id}\\s`, 'm'))
    const list = await cli(['connectors'], { cwd: dir, env: isolatedEnv(dir) })
    expect(list.code).toBe(0)
    expect(list.stdout).toMatch(/amplitude\s+@ph-import\/connector-amplitude\s+0\.1\.0\s+bundled/)
    expect(list.stdout).toMatch(/mixpanel\s+@ph-import\/connector-mixpanel/)
    expect(list.stdout).toMatch(/csv\s+@ph-import\/connector-csv/)
  })
})
