import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { link, open, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises'
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

/** This boot's id (Linux), or '-': a lock naming another boot of this host was left before a reboot. */
const BOOT_ID = (() => {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || '-'
  } catch {
    return '-'
  }
})()

/** How often a holder touches its lock, and how long another host's lock stays held without a touch. */
const HEARTBEAT_MS = 30_000
const FOREIGN_EXPIRY_MS = 4 * HEARTBEAT_MS
/** A lock still being written (where hard links are not supported, it is created empty first). */
const BEING_WRITTEN_MS = 10_000

/** Locks this process holds, by file: a lock naming our own pid is ours only if it is in here. */
const heldHere = new Map<string, string>()

/** A lock's words: pid, a token of the run, host, boot id (locks of earlier versions have the pid alone). */
function parse(content: string) {
  const [pidWord, , host, boot] = content.trim().split(' ')
  const pid = Number(pidWord)
  return { pid: Number.isInteger(pid) && pid > 0 ? pid : undefined, host, boot }
}

/**
 * Whether the lock's run is still going.
 * - A lock from another host (a state directory on a shared disk, or the previous pod of a container job,
 *   which gets a new host name) cannot be checked from here: it is held while its holder keeps touching it.
 * - A lock from an earlier boot of this host is stale whatever pid it names: after a reboot the number may
 *   be another program's. Without a boot id (not Linux, or an older lock), one written before the boot is.
 * - Otherwise its process must be alive.
 */
function isHeld(file: string, content: string, touchedAt: number): boolean {
  const { pid, host, boot } = parse(content)
  if (pid === undefined) return content.trim() === '' && Date.now() - touchedAt < BEING_WRITTEN_MS
  if (host !== undefined && host !== hostname()) return Date.now() - touchedAt < FOREIGN_EXPIRY_MS
  if (boot !== undefined && boot !== '-' && BOOT_ID !== '-') {
    if (boot !== BOOT_ID) return false
  } else if (touchedAt < Date.now() - uptime() * 1000) return false
  // Our pid in a lock we did not take: a lock left by an earlier process that had this number.
  if (pid === process.pid) return heldHere.get(file) === content
  return alive(pid)
}

async function readLock(file: string): Promise<{ content: string; touchedAt: number } | undefined> {
  const [content, info] = await Promise.all([
    readFile(file, 'utf8').catch(() => undefined),
    stat(file).catch(() => undefined),
  ])
  return content === undefined || info === undefined ? undefined : { content, touchedAt: info.mtimeMs }
}

/** Whether a job's lock is held by a run that is still going (`jobs` shows a killed run as interrupted). */
export async function jobLockHeld(file: string): Promise<boolean> {
  const lock = await readLock(file)
  return lock !== undefined && isHeld(file, lock.content, lock.touchedAt)
}

function running(jobId: string, content: string, file: string): ConfigError {
  const { pid, host } = parse(content)
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

/** File systems without hard links (FAT, some network and FUSE mounts) answer `link` with these. */
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV'])

/** Creates the lock with its content; false when it exists. Linked into place whole where the disk can. */
async function create(file: string, draft: string, content: string): Promise<boolean> {
  try {
    await link(draft, file)
    return true
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EEXIST') return false
    if (!code || !NO_LINKS.has(code)) throw error
  }
  // No hard links: create it exclusively, then write; a reader meanwhile sees it empty and young, so held.
  try {
    const handle = await open(file, 'wx')
    await handle.writeFile(content)
    await handle.close()
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  }
}

/**
 * One process per job directory: two runs of the same job would both send the same batches and write
 * the same staged files. The lock is created whole (its content written first and linked into place, so
 * no one reads a half-written lock) and touched every 30 s while held. A lock whose run is gone (see
 * `isHeld`) is taken over by moving it aside and checking that what was moved is still the lock judged
 * stale: two runs that find the same stale lock cannot both remove it and each take a fresh one.
 */
export async function acquireJobLock(file: string, jobId: string): Promise<() => Promise<void>> {
  await removeLeftovers(file)
  const content = `${process.pid} ${randomBytes(8).toString('hex')} ${hostname()} ${BOOT_ID}`
  const draft = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`
  await writeFile(draft, content)
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      if (await create(file, draft, content)) return holding(file, content)
      const found = await readLock(file)
      if (found === undefined) continue // released meanwhile: try again
      if (isHeld(file, found.content, found.touchedAt)) throw running(jobId, found.content, file)
      await takeOverStale(file, found.content)
    }
    throw new ConfigError(`could not lock job ${jobId}: other runs of it keep starting at the same time`, {
      hint: 'run one command per job at a time',
    })
  } finally {
    await rm(draft, { force: true })
  }
}

/** Keeps the lock touched while it is ours; returns its release. */
function holding(file: string, content: string): () => Promise<void> {
  heldHere.set(file, content)
  const ours = async () => (await readFile(file, 'utf8').catch(() => undefined)) === content
  const heartbeat = setInterval(() => {
    void ours()
      .then((yes) => (yes ? utimes(file, new Date(), new Date()) : undefined))
      .catch(() => {})
  }, HEARTBEAT_MS)
  heartbeat.unref()
  return async () => {
    clearInterval(heartbeat)
    // Only our own: a lock that is no longer ours (taken over after we were thought gone) stays.
    if (await ours()) await rm(file, { force: true })
    if (heldHere.get(file) === content) heldHere.delete(file)
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
    await link(aside, file).catch((error: NodeJS.ErrnoException) =>
      NO_LINKS.has(error.code ?? '') ? rename(aside, file).catch(() => {}) : undefined,
    )
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
