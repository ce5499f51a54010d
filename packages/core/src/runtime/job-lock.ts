import { randomBytes } from 'node:crypto'
import { link, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { hostname, uptime } from 'node:os'
import path from 'node:path'
import { ConfigError } from '../contracts/errors.js'

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Locks this process holds, by file: a lock naming our own pid is ours only if it is in here. */
const heldHere = new Map<string, string>()

/** The pid a lock names (its first word), or undefined for an unreadable or foreign file. */
function lockPid(content: string): number | undefined {
  const pid = Number(content.split(' ')[0])
  return Number.isInteger(pid) && pid > 0 ? pid : undefined
}

/** The host a lock was taken on (its third word; locks of earlier versions name none). */
const lockHost = (content: string): string | undefined => content.split(' ')[2]

/**
 * Whether the lock's run is still going. A lock written before this machine last booted is stale whatever
 * pid it names (after a reboot the number may be another program's); one taken on another host (a state
 * directory on a shared disk) cannot be checked from here, so it counts as held.
 */
function isHeld(file: string, content: string, writtenAt: number): boolean {
  const pid = lockPid(content)
  if (pid === undefined) return false
  const host = lockHost(content)
  if (host !== undefined && host !== hostname()) return true
  if (writtenAt < Date.now() - uptime() * 1000) return false
  // Our pid in a lock we did not take: a lock left by an earlier process that had this number.
  if (pid === process.pid) return heldHere.get(file) === content
  return alive(pid)
}

/** Whether a job's lock is held by a run that is still going (`jobs` shows a killed run as interrupted). */
export async function jobLockHeld(file: string): Promise<boolean> {
  const [content, info] = await Promise.all([
    readFile(file, 'utf8').catch(() => undefined),
    stat(file).catch(() => undefined),
  ])
  return content !== undefined && info !== undefined && isHeld(file, content, info.mtimeMs)
}

function running(jobId: string, content: string, file: string): ConfigError {
  const pid = lockPid(content)
  const host = lockHost(content)
  const where =
    host !== undefined && host !== hostname()
      ? `on host ${host} (process ${pid})`
      : pid === process.pid
        ? 'in this process'
        : `in process ${pid}`
  return new ConfigError(`job ${jobId} is already running ${where}`, {
    hint: `wait for it to finish, or stop it (Ctrl-C) and run the command again; if no import of it is running, delete ${file}`,
  })
}

/**
 * One process per job directory: two runs of the same job would both send the same batches and write
 * the same staged files. The lock is created whole or not at all (its content is written first and linked
 * into place, so no one ever reads a half-written lock). A lock left by a killed process (its pid is gone)
 * is taken over by moving it aside and checking that what was moved is still that dead process's lock:
 * two runs that find the same stale lock cannot both remove it and each take a fresh one.
 */
export async function acquireJobLock(file: string, jobId: string): Promise<() => Promise<void>> {
  await removeLeftovers(file)
  const content = `${process.pid} ${randomBytes(8).toString('hex')} ${hostname()}`
  const draft = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`
  await writeFile(draft, content)
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await link(draft, file)
        heldHere.set(file, content)
        return async () => {
          // Only our own: a lock that is no longer ours (taken over after we were thought dead) stays.
          if ((await readFile(file, 'utf8').catch(() => undefined)) === content)
            await rm(file, { force: true })
          if (heldHere.get(file) === content) heldHere.delete(file)
        }
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      }
      const [found, info] = await Promise.all([
        readFile(file, 'utf8').catch(() => undefined),
        stat(file).catch(() => undefined),
      ])
      if (found === undefined || info === undefined) continue // released meanwhile: try again
      if (isHeld(file, found, info.mtimeMs)) throw running(jobId, found, file)
      await takeOverStale(file, found)
    }
    throw new ConfigError(`could not lock job ${jobId}: other runs of it keep starting at the same time`, {
      hint: 'run one command per job at a time',
    })
  } finally {
    await rm(draft, { force: true })
  }
}

/** Removes a stale lock, but only if it is still the one judged stale; a fresh lock moved aside goes back. */
async function takeOverStale(file: string, stale: string): Promise<void> {
  const aside = `${file}.stale.${process.pid}.${randomBytes(4).toString('hex')}`
  try {
    await rename(file, aside)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return // another run moved it first
    throw error
  }
  const moved = await readFile(aside, 'utf8').catch(() => undefined)
  if (moved !== undefined && moved !== stale) {
    // Another run took the stale lock over between our read and our move: its lock goes back in place.
    // Not guarded: a third run locking in that very instant (the link fails; two runs would hold the job).
    await link(aside, file).catch(() => {})
  }
  await rm(aside, { force: true })
}

/** Drafts and moved-aside locks (`lock.<pid>.<hex>`, `lock.stale.<pid>.<hex>`) of runs killed mid-way. */
async function removeLeftovers(file: string): Promise<void> {
  const base = path.basename(file)
  const names = await readdir(path.dirname(file)).catch(() => [] as string[])
  for (const name of names) {
    const pid = new RegExp(`^${base}\\.(?:stale\\.)?(\\d+)\\.[0-9a-f]{8}$`).exec(name)?.[1]
    if (pid !== undefined && Number(pid) !== process.pid && !alive(Number(pid)))
      await rm(path.join(path.dirname(file), name), { force: true })
  }
}
