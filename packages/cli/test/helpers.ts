import { type ChildProcess, spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { tempDir as testkitTempDir } from '@ph-import/testkit'

export const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url))
export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url))

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

export const tempDir = async (prefix = 'ph-import-cli-') => testkitTempDir(prefix)

/**
 * An environment that cannot touch the user's setup: oclif data/config/cache dirs (user plugins) in
 * `dir`, npm offline with its own cache, and no credentials inherited from the shell.
 */
export function isolatedEnv(dir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(POSTHOG_|AMPLITUDE_|MIXPANEL_|PH_IMPORT_|HELLO_)/.test(k)) continue
    env[k] = v
  }
  return {
    ...env,
    NODE_ENV: 'production',
    NO_COLOR: '1',
    PH_IMPORT_DATA_DIR: path.join(dir, 'oclif-data'),
    PH_IMPORT_CONFIG_DIR: path.join(dir, 'oclif-config'),
    PH_IMPORT_CACHE_DIR: path.join(dir, 'oclif-cache'),
    npm_config_offline: 'true',
    npm_config_cache: path.join(dir, 'npm-cache'),
    npm_config_update_notifier: 'false',
    ...extra,
  }
}

export interface Running {
  child: ChildProcess
  stdout(): string
  stderr(): string
  done: Promise<CliResult>
}

export function startCli(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Running {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString()
  })
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
  return { child, stdout: () => stdout, stderr: () => stderr, done }
}

export const cli = (args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }) =>
  startCli(args, options).done

/** Parses --json output: one object per non-empty line. */
export const jsonLines = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)

/** Splits a printed shell command (`ph-import resume id --state-dir "/x y"`) into argv. */
export function shellWords(command: string): string[] {
  return [...command.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) =>
    m[1] !== undefined ? (JSON.parse(`"${m[1]}"`) as string) : (m[2] ?? ''),
  )
}

/** A CSV of `rows` events over January 2024, skipping Jan 3 so the per-day chart has a gap. */
export async function writeEventsCsv(file: string, rows: number, extra?: (i: number) => string) {
  const lines = ['event,distinct_id,timestamp,n,payload']
  const days = ['01', '02', '04', '05']
  for (let i = 0; i < rows; i++) {
    const day = days[i % days.length]
    const second = String(i % 60).padStart(2, '0')
    const minute = String(Math.floor(i / 60) % 60).padStart(2, '0')
    lines.push(
      `${i % 2 ? 'login' : 'signup'},user-${i % 17},2024-01-${day}T10:${minute}:${second}Z,${i},${extra?.(i) ?? ''}`,
    )
  }
  await writeFile(file, `${lines.join('\n')}\n`)
}
