import { mkdir, rm, rmdir } from 'node:fs/promises'
import path from 'node:path'
import { ConfigError } from '../contracts/errors.js'

/**
 * Creates the job directory (emptied first for `--fresh`); failing that is a config problem, said so.
 * Returns the first directory this call created (the job directory or a parent), or undefined if the
 * job directory was there already.
 */
export async function openJobDir(dir: string, fresh: boolean): Promise<string | undefined> {
  try {
    if (fresh) await rm(dir, { recursive: true, force: true })
    return await mkdir(dir, { recursive: true })
  } catch (error) {
    throw new ConfigError(`cannot create the job directory ${dir}: ${(error as Error).message}`, {
      cause: error,
      hint: 'pass --state-dir with a writable directory',
    })
  }
}

/**
 * Removes the directories openJobDir created, deepest first, for a run that stopped before it wrote
 * anything (a config error in the plan): a user who fixes the command should not find an empty job
 * left behind. rmdir refuses a directory that is not empty, so nothing written is ever removed.
 */
export async function removeUnusedJobDir(dir: string, firstCreated: string): Promise<void> {
  for (let current = dir; ; current = path.dirname(current)) {
    try {
      await rmdir(current)
    } catch {
      return
    }
    if (current === firstCreated || path.dirname(current) === current) return
  }
}

/**
 * Wraps an async writer so calls run one after another, each after the previous settled (a failed
 * write does not block the next): the newest state always lands last. Returns the call's own promise.
 */
export function oneAtATime(write: () => Promise<void>): () => Promise<void> {
  let chain: Promise<void> = Promise.resolve()
  return () => {
    chain = chain.catch(() => {}).then(write)
    return chain
  }
}
