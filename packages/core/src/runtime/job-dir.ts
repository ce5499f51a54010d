import { mkdir, rm } from 'node:fs/promises'
import { ConfigError } from '../contracts/errors.js'

/** Creates the job directory (emptied first for `--fresh`); failing that is a config problem, said so. */
export async function openJobDir(dir: string, fresh: boolean): Promise<void> {
  try {
    if (fresh) await rm(dir, { recursive: true, force: true })
    await mkdir(dir, { recursive: true })
  } catch (error) {
    throw new ConfigError(`cannot create the job directory ${dir}: ${(error as Error).message}`, {
      cause: error,
      hint: 'pass --state-dir with a writable directory',
    })
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
