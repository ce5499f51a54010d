import { existsSync } from 'node:fs'
import path from 'node:path'
import { createInterface } from 'node:readline/promises'
import { pathToFileURL } from 'node:url'
import {
  type AnySource,
  createLogger,
  createRedactor,
  DEFAULT_RATE,
  type Destination,
  type EventHook,
  type JobReport,
  type MappingConfig,
  type RunResult,
  runImport,
  secretValues,
  sha256File,
} from '@ph-import/core'
import { EXIT } from '../base-command.js'
import type { ConfigField } from '../connectors/schema-flags.js'
import { validateConfig } from '../connectors/validate-config.js'
import { createProgress, type ProgressMode } from '../ui/progress.js'
import { formatPlan, formatReport, rejectedEverything } from '../ui/report.js'
import { dryRunDestination, postHogDestination } from './destinations.js'
import { type JobSettings, saveJobSettings } from './job-settings.js'

export interface RunOptions {
  posthogKey: string | undefined
  /** Ask PostHog whether it knows the key before exporting (`--no-posthog-key-check` turns it off). */
  checkKey?: boolean
  stateDir: string
  fresh: boolean
  json: boolean
  yes: boolean
  debug: boolean
  /** Asked before sending on a TTY unless --yes; never waits without a TTY. */
  interactive?: boolean
}

export interface JobLaunch {
  source: AnySource
  fields: readonly ConfigField[]
  /** Unparsed connector config (flags, or stored config plus secrets). */
  config: Record<string, unknown>
  settings: JobSettings
  transformHook: EventHook | undefined
  /** URL of the module default-exporting `source`, for transform worker threads (`--workers`). */
  sourceModule?: string
  options: RunOptions
  jobId?: string
}

export interface JobOutcome {
  exitCode: number
  result: RunResult
  resumeCommand: string | undefined
  outputFile: string | undefined
}

const EXIT_BY_STATUS: Record<string, number> = {
  done: EXIT.done,
  interrupted: EXIT.interrupted,
  failed: EXIT.failed,
  // Partitions whose export kept failing: run again later, they are retried.
  incomplete: EXIT.tempfail,
  planned: EXIT.failed,
}

/** 75 for giving up on what may pass (see EXIT), 1 for a failure a person must look at. */
export function exitCodeFor(result: Pick<RunResult, 'status' | 'report'>): number {
  if (result.status === 'failed' && result.report.error?.transient) return EXIT.tempfail
  // A job that rejected everything it read (a Latin-1 file, a CSV given to jsonl) sent nothing: a scheduler
  // must not take that for a successful import.
  if (result.status === 'done' && rejectedEverything(result.report)) return EXIT.failed
  return EXIT_BY_STATUS[result.status] ?? EXIT.failed
}

/**
 * What the resume command is for. After a failure it works only once the cause is dealt with: running it
 * straight after a refusal ("restore the job directory…") would fail the same way.
 */
const RESUME_LEAD: Record<string, string> = {
  interrupted: 'To continue where it stopped:',
  incomplete: 'To retry the partitions that failed (see the warnings above) and continue:',
  failed: 'Once the error above is dealt with, continue where it stopped:',
}

export function resumeCommandFor(jobId: string, stateDir: string): string {
  const dir =
    path.resolve(stateDir) === path.resolve('.ph-import') ? '' : ` --state-dir ${JSON.stringify(stateDir)}`
  return `ph-import resume ${jobId}${dir}`
}

async function ask(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr })
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim())
  } finally {
    rl.close()
  }
}

function rangeOf(config: Record<string, unknown>): string | undefined {
  const { start, end } = config
  if (typeof start !== 'string') return undefined
  return `${start} → ${typeof end === 'string' ? end : '(default end)'}`
}

/** `--workers`: threads import the connector and the `--transform` module themselves. */
function transformWorkers({ settings, sourceModule }: JobLaunch) {
  if (!settings.workers || settings.workers < 2 || !sourceModule) return {}
  return {
    transformWorkers: {
      sourceModule,
      count: settings.workers,
      ...(settings.transformFile ? { hookModule: pathToFileURL(settings.transformFile).href } : {}),
    },
  }
}

/**
 * Runs one job through core's `runImport` and presents it: plan, confirmation, progress, summary and
 * the exit code. Ctrl-C aborts cleanly (checkpoints kept) and prints the command that resumes.
 */
export async function runJob(launch: JobLaunch): Promise<JobOutcome> {
  const { source, settings, options } = launch
  const parsed = validateConfig(source, launch.fields, launch.config)
  let jobDir = ''
  // Core redacts only with its own logger; this one is ours, so it redacts the same secrets itself.
  const redact = createRedactor([
    ...secretValues(source.config, parsed),
    ...(options.posthogKey ? [options.posthogKey] : []),
  ])
  const logger = createLogger({
    redact,
    // Warnings also arrive as progress events (printed once, there); the logger adds errors and --debug.
    level: options.debug ? 'debug' : 'error',
    sink: (entry) => process.stderr.write(`[${entry.level}] ${entry.scope} ${entry.message}\n`),
  })
  const outputFile = settings.dryRun ? path.resolve(settings.output ?? '') : undefined
  const destination: Destination = settings.dryRun
    ? dryRunDestination(() => settings.output ?? path.join(jobDir, 'dry-run.jsonl'))
    : postHogDestination(settings.posthogHost, options.posthogKey, logger, {
        resuming: launch.jobId !== undefined,
        checkKey: options.checkKey ?? true,
      })
  const mode: ProgressMode = options.json ? 'json' : process.stderr.isTTY ? 'tty' : 'plain'
  const progress = createProgress(mode)
  const say = (text: string) => {
    if (!options.json) process.stdout.write(`${text}\n`)
  }
  const abort = new AbortController()
  let interrupts = 0
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => {
    interrupts++
    if (interrupts > 1) process.exit(EXIT.interrupted)
    progress.stop()
    process.stderr.write(
      signal === 'SIGINT'
        ? '\nStopping after the current batch (Ctrl-C again to quit at once)…\n'
        : '\nStopping after the current batch (SIGTERM; a second one quits at once)…\n',
    )
    abort.abort(new Error(signal === 'SIGINT' ? 'interrupted by the user' : 'stopped by SIGTERM'))
  }
  const onSigint = () => onSignal('SIGINT')
  const onSigterm = () => onSignal('SIGTERM')
  process.on('SIGINT', onSigint)
  process.on('SIGTERM', onSigterm)
  let planned: { jobId: string; resumed: boolean } | undefined
  let result: RunResult
  try {
    result = await runImport({
      source,
      config: parsed,
      destination,
      stateDir: options.stateDir,
      // A dry run previews the current input every time; only an interrupted one (resumed by id) continues.
      fresh: options.fresh || (settings.dryRun && !launch.jobId),
      ...(launch.jobId ? { jobId: launch.jobId } : {}),
      // A retry sends what the original job rejected: that job's events are not a second copy, and the
      // users and devices it identified are not identified again.
      ...(settings.reprocess
        ? {
            checkEarlierJobs: false,
            claimsFromJob: settings.reprocess.jobId,
            ...(settings.reprocess.claimed ? { claimsFromPartitions: settings.reprocess.claimed } : {}),
          }
        : {}),
      ...(settings.mapping ? { mapping: settings.mapping as MappingConfig } : {}),
      ...(launch.transformHook ? { transformHook: launch.transformHook } : {}),
      // The module's own file, not what it imports: editing a helper it imports is not seen.
      ...(settings.transformFile
        ? { transformDigest: (await sha256File(settings.transformFile)).slice(0, 16) }
        : {}),
      ...(settings.rate ? { rate: settings.rate } : {}),
      ...(settings.batchSize ? { batchSize: settings.batchSize } : {}),
      ...transformWorkers(launch),
      ...(settings.maxStagedGb ? { maxStagedBytes: settings.maxStagedGb * 1e9 } : {}),
      ...(settings.keepStaged ? { keepStaged: true } : {}),
      secrets: options.posthogKey ? [options.posthogKey] : [],
      signal: abort.signal,
      logger,
      onProgress: (event) => {
        if (event.type === 'plan') {
          jobDir = event.jobDir
          planned = { jobId: event.jobId, resumed: event.resumed }
        }
        progress.event(event)
      },
      confirm: async ({ partitions, estimate }) => {
        await saveJobSettings(jobDir, settings)
        say(
          formatPlan({
            source: source.name,
            range: rangeOf(parsed),
            partitions,
            resumed: planned?.resumed ?? false,
            destination: destination.describe(),
            // A dry run is paced only by an explicit --rate (the destination says so).
            rate: settings.rate ?? (destination.paced === false ? undefined : DEFAULT_RATE),
            estimate,
            jobId: planned?.jobId ?? '',
          }),
        )
        // Asked only of someone at a terminal: with the output going to a log, the question would wait unseen.
        if (
          options.yes ||
          options.json ||
          settings.dryRun ||
          !options.interactive ||
          !process.stdin.isTTY ||
          !process.stdout.isTTY
        )
          return true
        const go = await ask('Start sending? [y/N] ')
        if (!go) say('Not started; nothing was sent. Re-run with --yes to skip this question.')
        return go
      },
    })
  } finally {
    progress.stop()
    process.off('SIGINT', onSigint)
    process.off('SIGTERM', onSigterm)
  }
  const exitCode = exitCodeFor(result)
  const resumable = ['interrupted', 'failed', 'incomplete'].includes(result.status)
  const resumeCommand = resumable ? resumeCommandFor(result.jobId, options.stateDir) : undefined
  const written =
    outputFile && settings.dryRun
      ? settings.output
        ? outputFile
        : path.join(jobDir, 'dry-run.jsonl')
      : undefined
  // A dry run that stopped before its first event wrote no file: name none rather than a missing one.
  const file = written !== undefined && existsSync(written) ? written : undefined
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify({
        type: 'summary',
        jobId: result.jobId,
        jobDir: result.jobDir,
        status: result.status,
        exitCode,
        report: result.report,
        ...(resumeCommand ? { resumeCommand } : {}),
        ...(file ? { outputFile: file } : {}),
      })}\n`,
    )
  } else if (result.status !== 'planned') {
    say(formatReport(result.report as JobReport, file ? { outputFile: file } : {}))
    if (resumeCommand) {
      const envs = [
        ...launch.fields.filter((f) => f.secret && f.env && parsed[f.name] !== undefined).map((f) => f.env),
        ...(settings.dryRun ? [] : ['POSTHOG_PROJECT_API_KEY']),
      ]
      const secrets =
        envs.length > 0
          ? `\n(secrets are not stored: keep ${envs.join(', ')} set, or pass them as flags)`
          : ''
      // resume keeps the job's own settings: a wrong one (a project id, a column) needs a new job.
      const settingsNote =
        result.status === 'failed'
          ? '\n(if a setting of the job itself was wrong, run the import command again with it corrected: that starts a new job)'
          : ''
      say(
        `\n${RESUME_LEAD[result.status] ?? RESUME_LEAD.interrupted}\n  ${resumeCommand}${secrets}${settingsNote}`,
      )
    }
  }
  return { exitCode, result, resumeCommand, outputFile: file }
}
