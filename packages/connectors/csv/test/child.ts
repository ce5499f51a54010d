import { type ChildProcess, spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'run-csv-job.mjs')

export interface ChildSummary {
  status: string
  jobDir: string
  baseRss: number
  maxRss: number
  records: { read: number; staged: number; filtered: number; rejected: number }
}

export interface ChildJob {
  child: ChildProcess
  /** Resolves with the exit code (null when killed) and the summary the job printed, if it finished. */
  exited: Promise<{ code: number | null; summary?: ChildSummary; stderr: string }>
}

/** Runs fixtures/run-csv-job.mjs (the built connector + core) in a child node process. */
export function startJob(
  job: { stateDir: string; out: string; config: Record<string, unknown> },
  nodeArgs: string[] = [],
): ChildJob {
  const child = spawn(process.execPath, [...nodeArgs, script, JSON.stringify(job)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    stdout += d
  })
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d
  })
  const exited = new Promise<{ code: number | null; summary?: ChildSummary; stderr: string }>((resolve) => {
    child.on('close', (code) => {
      const line = stdout.trim().split('\n').pop()
      resolve(line ? { code, summary: JSON.parse(line) as ChildSummary, stderr } : { code, stderr })
    })
  })
  return { child, exited }
}
