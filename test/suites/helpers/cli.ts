import { type ChildProcess, spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { JsonLine } from '@ph-import/cli'
import { tempDir as testkitTempDir } from '@ph-import/testkit'

export const REPO = fileURLToPath(new URL('../../../', import.meta.url))
export const BIN = path.join(REPO, 'packages/cli/bin/run.js')

export type Line = JsonLine
export type Summary = Extract<JsonLine, { type: 'summary' }>

export const tempDir = async (prefix: string) => testkitTempDir(`ph-proof-${prefix}-`)

/**
 * The environment of a user who has nothing configured: no credentials inherited from the shell and
 * oclif's data/config/cache dirs inside `dir`, so no installed plugin leaks in.
 */
export function cliEnv(dir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(POSTHOG_|AMPLITUDE_|MIXPANEL_|PH_IMPORT_|NODE_OPTIONS$|VITEST)/.test(k)) env[k] = v
  }
  return {
    ...env,
    NODE_ENV: 'production',
    NO_COLOR: '1',
    PH_IMPORT_DATA_DIR: path.join(dir, 'oclif-data'),
    PH_IMPORT_CONFIG_DIR: path.join(dir, 'oclif-config'),
    PH_IMPORT_CACHE_DIR: path.join(dir, 'oclif-cache'),
    ...extra,
  }
}

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  lines: Line[]
}

export interface CliRun {
  child: ChildProcess
  /** Import --json lines parsed so far (validated against the CLI's exported schema). */
  lines: Line[]
  stderr(): string
  /** Called for every --json line as it arrives. */
  onLine(listener: (line: Line) => void): void
  done: Promise<CliResult>
}

/** Spawns `node packages/cli/bin/run.js ...args`, as a user's shell would. */
export function startCli(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): CliRun {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: Line[] = []
  const listeners: Array<(line: Line) => void> = []
  let stdout = ''
  let pending = ''
  let stderr = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
    pending += chunk
    const parts = pending.split('\n')
    pending = parts.pop() ?? ''
    for (const text of parts) {
      if (!text.trim().startsWith('{')) continue
      // `jobs`, `rejects` and the like print objects of their own; only import progress is a JsonLine.
      const parsed = JsonLine.safeParse(JSON.parse(text))
      if (!parsed.success) continue
      lines.push(parsed.data)
      for (const l of listeners) l(parsed.data)
    }
  })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, lines }))
  })
  return { child, lines, stderr: () => stderr, onLine: (l) => listeners.push(l), done }
}

export const runCli = (args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }) =>
  startCli(args, options).done

/** The last line of a --json run: the summary, or a failure showing what the CLI printed. */
export function summaryOf(result: CliResult): Summary {
  const last = result.lines.at(-1)
  if (last?.type !== 'summary') {
    throw new Error(`no summary line (exit ${result.code}):\n${result.stdout}\n${result.stderr}`)
  }
  return last
}

/** The flags every import here shares: non-interactive, machine output, a sandbox as PostHog. */
export function commonFlags(stateDir: string, posthogHost: string, key = 'phc_sandbox'): string[] {
  return ['--yes', '--json', '--state-dir', stateDir, '--posthog-host', posthogHost, '--posthog-key', key]
}
