import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { createServer } from 'node:net'
import path from 'node:path'
import { startFakeAmplitude } from '@ph-import/connector-amplitude/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { JsonLine } from '../src/json-output.js'
import { cli, isolatedEnv, jsonLines, tempDir, writeEventsCsv } from './helpers.js'

let dir: string
let env: NodeJS.ProcessEnv
beforeAll(async () => {
  dir = await tempDir()
  env = isolatedEnv(dir)
  await writeEventsCsv(path.join(dir, 'events.csv'), 40)
})

describe('exit codes and messages', () => {
  it('0: a dry run completes and prints the validation report', async () => {
    const r = await cli(['csv', '--files', 'events.csv', '--dry-run'], { cwd: dir, env })
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('40 read, 40 staged')
    expect(r.stdout).toMatch(/events file\s+\S+dry-run\.jsonl/)
    expect(r.stdout).toMatch(/rate\s+not paced \(a dry run sends nothing\)/)
  })

  it('1: a dry run whose every row is rejected says nothing would be sent, and names no events file', async () => {
    await writeFile(path.join(dir, 'all-bad.csv'), 'event,distinct_id,timestamp\na,,2024-01-01T00:00:00Z\n')
    const r = await cli(['csv', '--files', 'all-bad.csv', '--dry-run'], { cwd: dir, env })
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/1 read, 0 staged/)
    expect(r.stdout).toMatch(/every record read was rejected, so nothing was sent \(exit code 1\)/)
    expect(r.stdout).not.toMatch(/events file/)
  })

  it('0: a dry run is not held to the send rate, unless --rate asks', async () => {
    // Held to the default 1,000 events/s, 20,000 events could not take less than ~19.75 s.
    await writeEventsCsv(path.join(dir, 'many.csv'), 20_000)
    const r = await cli(['csv', '--files', 'many.csv', '--dry-run', '--json'], { cwd: dir, env })
    expect(r.code).toBe(0)
    const summary = jsonLines(r.stdout).find((l) => l.type === 'summary') as {
      report: { durationMs: number; events: { loaded: number } }
    }
    expect(summary.report.events.loaded).toBe(20_000)
    expect(summary.report.durationMs).toBeLessThan(10_000)
    const paced = await cli(['csv', '--files', 'events.csv', '--dry-run', '--rate', '500'], { cwd: dir, env })
    expect(paced.stdout).toMatch(/rate\s+500 events\/s/)
  })

  it.each([
    [
      ['csv', '--files', 'events.csv', '--bogus'],
      /unknown flag --bogus\n {2}see every flag with `ph-import csv --help`/,
    ],
    [['amplitude', '--api-key', 'k', '--secret-key', 's'], /Missing required flag start/],
    [
      ['amplitude', '--start', '2024-01-01', '--region', 'mars'],
      /--region.*mars|Expected --region=mars to be one of/,
    ],
    [
      ['csv', '--files', 'events.csv', '--timezone', 'Mars/Base', '--dry-run'],
      /--timezone: not an IANA time zone/,
    ],
    [['csv', '--files', 'events.csv', '--rate', 'fast', '--dry-run'], /--rate expects a number/],
    [
      ['amplitude', '--start', '2024-01-01', '--dry-run'],
      /--api-key is required \(or set AMPLITUDE_API_KEY\)/,
    ],
    [['csv', '--files', 'events.csv'], /--posthog-key is required \(or set POSTHOG_PROJECT_API_KEY\)/],
    [['resume', 'nope'], /no job nope in/],
  ])('2: %j', async (args, message) => {
    const r = await cli(args, { cwd: dir, env })
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(message)
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/) // no stack trace without --debug
  })

  it('2: a bad mapping file is named, with the offending field', async () => {
    await writeFile(path.join(dir, 'bad.yaml'), 'events:\n  renam:\n    a: b\n')
    const r = await cli(['csv', '--files', 'events.csv', '--mapping', 'bad.yaml', '--dry-run'], {
      cwd: dir,
      env,
    })
    expect(r.code).toBe(2)
    // Named once: zod's message already carries the key.
    expect(r.stderr).toContain('--mapping bad.yaml: events: Unrecognized key: "renam"\n')
    await writeFile(path.join(dir, 'broken.json'), '{"events": ')
    const j = await cli(['csv', '--files', 'events.csv', '--mapping', 'broken.json', '--dry-run'], {
      cwd: dir,
      env,
    })
    expect(j.code).toBe(2)
    expect(j.stderr).toContain('--mapping broken.json: not valid JSON')
  })

  it('2 with --json: an error line matching the schema', async () => {
    const r = await cli(['csv', '--files', 'events.csv', '--timezone', 'Nowhere', '--dry-run', '--json'], {
      cwd: dir,
      env,
    })
    expect(r.code).toBe(2)
    const lines = jsonLines(r.stdout).map((l) => JsonLine.parse(l))
    expect(lines.at(-1)).toMatchObject({ type: 'error', exitCode: 2 })
  })

  it('2 for verify without its credentials, naming both flags and their variables', async () => {
    const r = await cli(['verify', 'csv-0000'], { cwd: dir, env })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(
      'verify needs --personal-api-key (or POSTHOG_PERSONAL_API_KEY) and --project-id (or POSTHOG_PROJECT_ID)',
    )
  })

  it.each(['resume', 'rejects'])(
    '2 for %s given two job ids, which used to drop the second',
    async (command) => {
      const r = await cli([command, 'csv-1', 'csv-2'], { cwd: dir, env })
      expect(r.code).toBe(2)
      expect(r.stderr).toContain('one job id at a time: got csv-1 csv-2')
      expect((await cli([command, '--help'], { cwd: dir, env })).stdout).toContain(
        `$ ph-import ${command} ID [FLAGS]`,
      )
    },
  )

  it('2 for --output without --dry-run: nothing is sent to PostHog', async () => {
    const r = await cli(
      ['csv', '--files', 'events.csv', '--output', 'x.jsonl', '--posthog-key', 'phc_test'],
      {
        cwd: dir,
        env,
      },
    )
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('--output only applies to --dry-run: nothing was sent')
  })

  it("2 with --json for oclif's own usage errors too: an unknown flag, a bad number", async () => {
    for (const argv of [
      ['jobs', '--json', '--bogus'],
      ['csv', '--files', 'events.csv', '--rate', 'abc', '--dry-run', '--json'],
    ]) {
      const r = await cli(argv, { cwd: dir, env })
      expect(r.code).toBe(2)
      const lines = jsonLines(r.stdout).map((l) => JsonLine.parse(l))
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatchObject({ type: 'error', exitCode: 2 })
    }
  })

  it('2 for a mistyped flag: names the nearest real ones, and no wall of help', async () => {
    const r = await cli(['csv', '--files', 'events.csv', '--evnt-column', 'x', '--dry-run'], {
      cwd: dir,
      env,
    })
    expect(r.code).toBe(2)
    expect(r.stderr).toBe(
      'Error: unknown flag --evnt-column (did you mean --event-column?)\n  see every flag with `ph-import csv --help`\n',
    )
    expect(r.stdout).toBe('')
    // A stored job's command too, where the flags are parsed a second time.
    const resume = await cli(['resume', 'csv-0000', '--posthog-hots', 'x'], { cwd: dir, env })
    expect(resume.code).toBe(2)
    expect(resume.stderr).toContain('unknown flag --posthog-hots (did you mean --posthog-host?)')
  })

  it('2 for resume without the PostHog key: says the key is not stored, and not to dry-run', async () => {
    const run = await cli(
      ['csv', '--files', 'events.csv', '--posthog-host', 'http://127.0.0.1:1', '--posthog-key', 'phc_test'],
      { cwd: dir, env: { ...env, PH_IMPORT_STATE_DIR: path.join(dir, 'resume-key') } },
    )
    expect(run.code).toBe(1)
    const jobId = /ph-import resume (csv-[0-9a-f]+)/.exec(run.stdout)?.[1] as string
    const r = await cli(['resume', jobId], {
      cwd: dir,
      env: { ...env, PH_IMPORT_STATE_DIR: path.join(dir, 'resume-key') },
    })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(
      'the key is not stored with the job: pass it again with --posthog-key, or set POSTHOG_PROJECT_API_KEY',
    )
    expect(r.stderr).not.toContain('--dry-run')
  })

  it('2 for a connector name that a command or a connector already answers to; nothing is written', async () => {
    for (const [name, taken] of [
      ['jobs', '`ph-import jobs` is a built-in command'],
      ['csv', '@ph-import/connector-csv (bundled) already provides `ph-import csv`'],
    ]) {
      const r = await cli(['connectors', 'new', name as string, '--dir', `taken-${name}`], { cwd: dir, env })
      expect(r.code).toBe(2)
      expect(r.stderr).toContain(`the name ${name} is taken: ${taken}`)
      expect(existsSync(path.join(dir, `taken-${name}`))).toBe(false)
    }
  })

  it.each(['--port', '--amplitude-port', '--mixpanel-port'])(
    '2 for a sandbox port in use (%s), naming the port and the flag that moves it',
    async (flag) => {
      const holder = createServer()
      await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve))
      const { port } = holder.address() as AddressInfo
      const ports = { '--port': '0', '--amplitude-port': '0', '--mixpanel-port': '0', [flag]: String(port) }
      try {
        const r = await cli(['sandbox', ...Object.entries(ports).flat()], { cwd: dir, env })
        expect(r.code).toBe(2)
        // The fake APIs' ports too: a port in use there crashed the command with an unhandled 'error' event.
        expect(r.stderr).toBe(
          `Error: port ${port} on 127.0.0.1 is in use (another sandbox still running?)\n  stop what holds it, or pass ${flag} 0 for a free port\n`,
        )
      } finally {
        holder.close()
      }
    },
  )

  describe('against the fake Amplitude API', () => {
    let fake: Awaited<ReturnType<typeof startFakeAmplitude>>
    beforeAll(async () => {
      fake = await startFakeAmplitude({
        seed: 3,
        start: '2024-01-01T00:00:00Z',
        end: '2024-01-02T00:00:00Z',
        events: 50,
      })
    })
    afterAll(() => fake.close())

    it('1: a rejected credential fails the job with the reason, and never prints the secret', async () => {
      const r = await cli(
        ['amplitude', '--base-url', fake.url, '--start', '2024-01-01', '--end', '2024-01-01', '--dry-run'],
        {
          cwd: dir,
          env: { ...env, AMPLITUDE_API_KEY: fake.apiKey, AMPLITUDE_SECRET_KEY: 'wrong-secret-value' },
        },
      )
      expect(r.code).toBe(1)
      expect(r.stdout).toMatch(/FAILED/)
      expect(r.stdout).toMatch(/403|credential|key/i)
      expect(r.stdout).toContain('Once the error above is dealt with, continue where it stopped:')
      expect(r.stdout).toContain(
        '(if a setting of the job itself was wrong, run the import command again with it corrected',
      )
      expect(r.stdout).toContain('ph-import resume amplitude-')
      expect(`${r.stdout}${r.stderr}`).not.toContain('wrong-secret-value')
      // The printed way on: resume, with the secrets given as the connector's own flags this time.
      const jobId = /ph-import resume (amplitude-[0-9a-f]+)/.exec(r.stdout)?.[1] as string
      const resumed = await cli(['resume', jobId, '--api-key', fake.apiKey, '--secret-key', fake.secretKey], {
        cwd: dir,
        env,
      })
      expect(resumed.code, resumed.stderr).toBe(0)
      expect(resumed.stdout).toMatch(new RegExp(`job ${jobId}: done`))
    })

    it('0 for resuming a finished job: says there is nothing left, without asking for its secrets', async () => {
      const run = await cli(
        ['amplitude', '--base-url', fake.url, '--start', '2024-01-01', '--end', '2024-01-01', '--dry-run'],
        { cwd: dir, env: { ...env, AMPLITUDE_API_KEY: fake.apiKey, AMPLITUDE_SECRET_KEY: fake.secretKey } },
      )
      expect(run.code).toBe(0)
      const jobId = /job (amplitude-[0-9a-f]+): done/.exec(run.stdout)?.[1]
      expect(jobId).toBeDefined()
      const r = await cli(['resume', jobId as string], { cwd: dir, env })
      expect(r.code).toBe(0)
      expect(r.stdout).toContain(`Job ${jobId} is done: nothing left to resume`)
      // A dry run's events went to a file: written, not loaded.
      expect(r.stdout).toMatch(/events\s+\d+ written, 0 dead-lettered/)
      const json = await cli(['resume', jobId as string, '--json'], { cwd: dir, env })
      expect(json.code).toBe(0)
      expect(JsonLine.parse(JSON.parse(json.stdout.trim()))).toMatchObject({
        type: 'summary',
        status: 'done',
        jobId,
      })
    })

    it('0 with --json: every line matches the documented schema, the last is the summary', async () => {
      const r = await cli(
        [
          'amplitude',
          '--base-url',
          fake.url,
          '--start',
          '2024-01-01',
          '--end',
          '2024-01-01',
          '--dry-run',
          '--json',
        ],
        { cwd: dir, env: { ...env, AMPLITUDE_API_KEY: fake.apiKey, AMPLITUDE_SECRET_KEY: fake.secretKey } },
      )
      expect(r.code).toBe(0)
      const lines = jsonLines(r.stdout).map((l) => JsonLine.parse(l))
      expect(lines[0]?.type).toBe('plan')
      const summary = lines.at(-1)
      expect(summary).toMatchObject({ type: 'summary', status: 'done', exitCode: 0 })
      if (summary?.type !== 'summary') throw new Error('no summary')
      expect(summary.report.events.loaded).toBeGreaterThan(0)
      expect(summary.outputFile).toMatch(/dry-run\.jsonl$/)
      expect(r.stdout).not.toContain(fake.secretKey)
    })
  })
})
