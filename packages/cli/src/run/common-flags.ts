import { Flags } from '@oclif/core'

const number = (flag: string, options: { min: number }) =>
  Flags.custom<number>({
    parse: async (input) => {
      const value = Number(input)
      if (input.trim() === '' || !Number.isFinite(value) || value < options.min)
        throw new Error(`--${flag} expects a number of at least ${options.min}, got "${input}"`)
      return value
    },
  })

/** Flags every command that touches a state directory has. */
export const stateFlags = {
  'state-dir': Flags.string({
    description: 'where job state lives (checkpoints, staged files, rejects, reports)',
    env: 'PH_IMPORT_STATE_DIR',
    default: '.ph-import',
    helpGroup: 'GLOBAL',
  }),
  json: Flags.boolean({
    default: false,
    description: 'machine-readable output: newline-delimited JSON (see README for the shape)',
    helpGroup: 'GLOBAL',
  }),
  debug: Flags.boolean({
    default: false,
    description: 'show stack traces and debug logs',
    helpGroup: 'GLOBAL',
  }),
}

/** Destination and run options shared by every import, resume and retry. */
export const sendFlags = {
  'posthog-host': Flags.string({
    description: 'PostHog host: us, eu, or a URL (self-hosted, or the local sandbox)',
    env: 'POSTHOG_HOST',
    default: 'us',
    helpGroup: 'POSTHOG',
  }),
  'posthog-key': Flags.string({
    description: 'PostHog project API key (phc_...); secret: never stored or printed',
    env: 'POSTHOG_PROJECT_API_KEY',
    helpGroup: 'POSTHOG',
  }),
  'posthog-key-check': Flags.boolean({
    default: true,
    allowNo: true,
    description:
      'before exporting, ask PostHog (/flags) whether it knows the key: capture answers 200 to a key no project owns and drops its events (--no-posthog-key-check skips it, e.g. behind a proxy that answers /flags itself)',
    helpGroup: 'POSTHOG',
  }),
  rate: number('rate', { min: 1 })({
    description: 'events per second sent to PostHog (default 1000)',
    helpGroup: 'POSTHOG',
  }),
  'batch-size': number('batch-size', { min: 1 })({
    description: 'events per request (default 1000, at most a quarter of --rate)',
    helpGroup: 'POSTHOG',
  }),
  workers: number('workers', { min: 1 })({
    description:
      'transform on this many worker threads, which share each partition (default 1: the main thread); for machines with more than 2 cores',
    helpGroup: 'GLOBAL',
  }),
  'max-staged': number('max-staged', { min: 0.001 })({
    description:
      'GB of staged data not yet sent beyond which exporting waits for sending to catch up (default 2): the disk an import holds',
    helpGroup: 'GLOBAL',
  }),
  'keep-staged': Flags.boolean({
    description:
      'keep each partition’s staged export and events files after it is sent (default: removed, so the disk holds only what is still to send)',
    helpGroup: 'GLOBAL',
  }),
  'dry-run': Flags.boolean({
    default: false,
    description: 'do everything but send: write the events to a file and print the validation report',
    helpGroup: 'POSTHOG',
  }),
  output: Flags.string({
    description: 'with --dry-run: the JSON-lines file to write (default: dry-run.jsonl in the job directory)',
    helpGroup: 'POSTHOG',
    // For the usage line only: --dry-run's default counts as given, so the check is in connector-command.ts.
    dependsOn: ['dry-run'],
  }),
  yes: Flags.boolean({
    default: false,
    char: 'y',
    description: 'start without asking for confirmation',
    helpGroup: 'GLOBAL',
  }),
  ...stateFlags,
}

/** Flags of `ph-import <connector>`: sending plus mapping, transform and a fresh start. */
export const importFlags = {
  mapping: Flags.string({
    description: 'mapping file (JSON or YAML): renames, drops, constant properties, event filters',
    helpGroup: 'MAPPING',
  }),
  transform: Flags.string({
    description:
      'JS module (.js/.mjs) default-exporting (event) => event | event[] | null, applied to each event',
    helpGroup: 'MAPPING',
  }),
  fresh: Flags.boolean({
    default: false,
    description: "discard this job's saved state and start over",
    helpGroup: 'GLOBAL',
  }),
  ...sendFlags,
}

export const RESERVED_FLAGS: ReadonlySet<string> = new Set([...Object.keys(importFlags), 'help', 'version'])
