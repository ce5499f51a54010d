import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { format } from 'node:util'
import { gunzipSync } from 'node:zlib'
import { secretValues } from '@ph-import/core'
import type { ConformanceFaults } from '../fake/faults.js'
import { type ImportRun, importOnce, parseConfig } from './harness.js'
import { type CheckEnv, CheckSkipped, type ConformanceCheck, fail } from './types.js'

async function* filesUnder(dir: string): AsyncGenerator<string> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => [])
  for (const entry of entries) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) yield* filesUnder(full)
    else if (entry.isFile()) yield full
  }
}

async function readText(file: string): Promise<string> {
  const bytes = await readFile(file)
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      return gunzipSync(bytes).toString('utf8')
    } catch {
      return bytes.toString('latin1')
    }
  }
  return bytes.toString('utf8')
}

/** Where each secret turned up: "state/jobs/x/state.json", "log: source:info", "report error". */
async function leaks(run: ImportRun, secrets: readonly string[], root: string): Promise<string[]> {
  const found: string[] = []
  const has = (text: string) => secrets.some((s) => text.includes(s))
  for await (const file of filesUnder(path.dirname(run.stateDir))) {
    if (has(await readText(file))) found.push(path.relative(root, file))
  }
  for (const entry of run.logs)
    if (has(JSON.stringify(entry)))
      found.push(`log ${entry.level} [${entry.scope}]: ${entry.message.slice(0, 80)}`)
  for (const event of run.progress) if (has(JSON.stringify(event))) found.push(`progress event ${event.type}`)
  if (has(JSON.stringify(run.result))) found.push('the run result')
  return found
}

const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const

/**
 * Runs `body` with everything written through `console` also kept (a connector logging with console.* goes
 * around the runtime's redacting logger, straight to the user's terminal).
 */
async function withConsoleCaptured<T>(body: () => Promise<T>): Promise<{ value: T; printed: string[] }> {
  const printed: string[] = []
  // biome-ignore lint/suspicious/noConsole: the check wraps console to see what a connector prints there
  const saved = CONSOLE_METHODS.map((m) => [m, console[m]] as const)
  for (const [method, original] of saved)
    console[method] = (...args: unknown[]) => {
      printed.push(`console.${method}: ${format(...args)}`)
      original.apply(console, args)
    }
  try {
    return { value: await body(), printed }
  } finally {
    for (const [method, original] of saved) console[method] = original
  }
}

export const secretsStayHidden: ConformanceCheck = {
  name: 'secrets_stay_hidden',
  description:
    'no secret appears in state files, staged data, the report, rejects, logs, console output, progress or error text',
  async run(env) {
    const { fake, config } = await env.setup()
    const secrets = secretValues(env.source.config, parseConfig(env.source, config))
    if (secrets.length === 0) throw new CheckSkipped('the config has no secret values')
    // The runtime does not redact values this short (they would match everywhere), and neither can this search.
    const short = secrets.filter((s) => s.length < 4)
    if (short.length > 0)
      fail(
        `the suite's config gives a secret field a value of ${short[0]!.length} character(s), too short to redact or to search for: give it a distinctive test value, e.g. acme_test_key_1234`,
      )
    const { value: runs, printed } = await withConsoleCaptured(() => importRuns(env, config, fake?.faults))
    const found: string[] = []
    for (const run of runs) found.push(...(await leaks(run, secrets, env.tmp)))
    for (const line of printed)
      if (secrets.some((s) => line.includes(s)))
        found.push(`${line.slice(0, line.indexOf(':'))} (log with ctx.logger, which redacts)`)
    if (found.length > 0) fail(`a secret appears in: ${[...new Set(found)].slice(0, 6).join('; ')}`)
    return `${secrets.length} secret value(s) absent from ${runs.length} runs' files, logs, console output and errors`
  },
}

/** A clean run, and with fault knobs a run refused with 401 and one rate-limited once. */
async function importRuns(
  env: CheckEnv,
  config: unknown,
  faults: ConformanceFaults | undefined,
): Promise<ImportRun[]> {
  const runs = [await importOnce({ env, config, name: 'secrets-ok' })]
  if (faults) {
    runs.push(
      await importOnce({
        env,
        config,
        name: 'secrets-401',
        onProgress: (e) => {
          if (e.type === 'plan') faults.failAuth(401)
        },
      }),
    )
    faults.clear()
    runs.push(
      await importOnce({
        env,
        config,
        name: 'secrets-429',
        onProgress: (e) => {
          if (e.type === 'plan') faults.rateLimitNext(1, 0)
        },
      }),
    )
  }
  return runs
}
