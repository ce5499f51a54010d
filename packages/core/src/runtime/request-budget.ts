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

/**
 * The request times recorded in the first of these files that exists (older versions kept one per job).
 * Every time counts, two in one millisecond included. Two processes on one data set at once each keep
 * their own times, and the last to save wins: runs one after another share the budget exactly.
 */
export async function readRequestTimes(files: readonly string[]): Promise<number[]> {
  for (const file of files) {
    const budget = await readJsonIfExists<{ spent?: unknown }>(file).catch(() => undefined)
    if (Array.isArray(budget?.spent)) return budget.spent.filter((t): t is number => typeof t === 'number')
  }
  return []
}
