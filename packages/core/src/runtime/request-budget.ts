import path from 'node:path'
import { contentHash } from '../util/uuid.js'
import { readJsonIfExists } from './atomic-fs.js'

/**
 * Where a data set's API request times are kept. An API counts requests per project, not per job, so
 * every job of one data set in a state directory shares the file: a re-run with one setting corrected
 * (a new job) must not start with a fresh budget and meet a 429. Named by a digest of the identity.
 */
export function requestBudgetFile(stateDir: string, sourceName: string, identity: string): string {
  return path.join(stateDir, 'budgets', `${sourceName}-${contentHash(identity, 12)}.json`)
}

/** The request times recorded in any of these files (older versions kept one per job). */
export async function readRequestTimes(files: readonly string[]): Promise<number[]> {
  const times = new Set<number>()
  for (const file of files) {
    const budget = await readJsonIfExists<{ spent?: unknown }>(file).catch(() => undefined)
    if (Array.isArray(budget?.spent)) for (const t of budget.spent) if (typeof t === 'number') times.add(t)
  }
  return [...times].sort((a, b) => a - b)
}
