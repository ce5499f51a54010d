import { randomBytes } from 'node:crypto'
import { readFileSync, readlinkSync } from 'node:fs'
import { link, open, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { hostname, uptime } from 'node:os'
import path from 'node:path'
import { ConfigError, FatalError } from '../contracts/errors.js'

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** A Linux identity of this machine's boot or of this process's pid namespace, or '-' elsewhere. */
function linuxId(read: () => string): string {
  try {
    return read().trim().replaceAll(' ', '_') || '-'
  } catch {
    return '-'
  }
}
const BOOT_ID = linuxId(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8'))
/** Two containers with one host name on a shared volume both run as pid 1: the namespace tells them apart. */
const PID_NS = linuxId(() => readlinkSync('/proc/self/ns/pid'))

/** How often a holder touches its lock, and how long a lock that cannot be checked must stay untouched. */
const HEARTBEAT_MS = 30_000
const WATCH_MS = 4 * HEARTBEAT_MS
/** A lock still being written (where hard links are not supported, it is created empty first). */
const BEING_WRITTEN_MS = 10_000
/** A draft or moved-aside lock younger than this may be another run's, mid-way (on a shared disk). */
const LEFTOVER_MS = 60_000

/** Locks this process holds, by file: a lock naming our own pid is ours only if it is in here. */
const heldHere = new Map<string, string>()

/** A lock's words: pid, a token of the run, host, boot id, pid namespace (older locks have fewer). */
function parse(content: string) {
  const [pidWord, , host, boot, ns] = content.trim().split(' ')
  const pid = Number(pidWord)
  return { pid: Number.isInteger(pid) && pid > 0 ? pid : undefined, host, boot, ns }
}

const known = (id: string | undefined): id is string => id !== undefined && id !== '-'
const bootedAt = () => Date.now() - uptime() * 1000

/**
 * What a lock found on disk says:
 * - `held`: its run is going (its process is alive on this machine; or a lock of an earlier version from
 *   another host, which never touches it: held until someone deletes it).
 * - `stale`: its run is gone (its process is dead, or it was written before this machine booted).
 * - `watch`: its run is on another machine (another host name; or this name, but another boot or pid
 *   namespace) and cannot be checked from here: held while its holder keeps touching it. Whether it
 *   still does is watched on this machine's clock, never by comparing the two machines' clocks.
 */
type Verdict = 'held' | 'stale' | 'watch'

function judge(file: string, content: string, touchedAt: number): Verdict {
  const { pid, host, boot, ns } = parse(content)
  if (pid === undefined)
    return content.trim() === '' && Date.now() - touchedAt < BEING_WRITTEN_MS ? 'held' : 'stale'
  if (host !== undefined && host !== hostname()) return boot === undefined ? 'held' : 'watch'
  if (known(boot) && known(BOOT_ID) && boot !== BOOT_ID) return touchedAt < bootedAt() ? 'stale' : 'watch'
  if (!(known(boot) && known(BOOT_ID)) && touchedAt < bootedAt()) return 'stale'
  if (known(ns) && known(PID_NS) && ns !== PID_NS) return 'watch'
  // Our pid in a lock we did not take: a lock left by an earlier process that had this number.
  if (pid === process.pid) return heldHere.get(file) === content ? 'held' : 'stale'
  return alive(pid) ? 'held' : 'stale'
}

async function readLock(file: string): Promise<{ content: string; touchedAt: number } | undefined> {
  const [content, info] = await Promise.all([
    readFile(file, 'utf8').catch(() => undefined),
    stat(file).catch(() => undefined),
  ])
  return content === undefined || info === undefined ? undefined : { content, touchedAt: info.mtimeMs }
}

/**
 * Whether a job's lock is held by a run that is still going (`jobs` shows a killed run as interrupted). A
 * lock on another machine is judged by its last touch against this clock: good enough for a listing.
 */
export async function jobLockHeld(file: string): Promise<boolean> {
  const lock = await readLock(file)
  if (!lock) return false
  const verdict = judge(file, lock.content, lock.touchedAt)
  return verdict === 'held' || (verdict === 'watch' && Date.now() - lock.touchedAt < WATCH_MS)
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
  let handle: Awaited<ReturnType<typeof open>>
  try {
    handle = await open(file, 'wx')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  }
  try {
    await handle.writeFile(content)
  } catch (error) {
    await handle.close().catch(() => {})
    await rm(file, { force: true })
    throw error
  }
  await handle.close()
  return true
}

export interface JobLockOptions {
  /** The lock was taken over while held (this run was thought gone): the run must stop at once. */
  onLost?(error: FatalError): void
  /** Said once when a lock of another machine is watched before it can be taken over. */
  onWait?(message: string): void
  /** How long such a lock must stay untouched (default 2 minutes; tests shorten it). */
  watchMs?: number
  /** How often the holder touches its lock (default 30 s; tests shorten it). */
  heartbeatMs?: number
}

/**
 * One process per job directory: two runs of the same job would both send the same batches and write
 * the same staged files. The lock is created whole (its content written first and linked into place, so
 * no one reads a half-written lock) and touched every 30 s while held. A lock whose run is gone (see
 * `judge`) is taken over by moving it aside and checking that what was moved is still the lock judged
 * stale: two runs that find the same stale lock cannot both remove it and each take a fresh one.
 */
export async function acquireJobLock(
  file: string,
  jobId: string,
  options: JobLockOptions = {},
): Promise<() => Promise<void>> {
  await removeLeftovers(file)
  const content = `${process.pid} ${randomBytes(8).toString('hex')} ${hostname()} ${BOOT_ID} ${PID_NS}`
  const draft = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`
  await writeFile(draft, content)
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      if (await create(file, draft, content)) return holding(file, jobId, content, options)
      const found = await readLock(file)
      if (found === undefined) continue // released meanwhile: try again
      const verdict = judge(file, found.content, found.touchedAt)
      if (verdict === 'held') throw running(jobId, found.content, file)
      if (verdict === 'watch' && !(await untouched(file, found, options))) {
        throw running(jobId, found.content, file)
      }
      await takeOverStale(file, found.content)
    }
    throw new ConfigError(`could not lock job ${jobId}: other runs of it keep starting at the same time`, {
      hint: 'run one command per job at a time',
    })
  } finally {
    await rm(draft, { force: true })
  }
}

/** Watches another machine's lock on this clock: true when it stayed untouched for the whole watch. */
async function untouched(
  file: string,
  seen: { content: string; touchedAt: number },
  options: JobLockOptions,
): Promise<boolean> {
  const watchMs = options.watchMs ?? WATCH_MS
  options.onWait?.(
    `the job's lock names a run on another machine (${parse(seen.content).host}); waiting up to ${Math.round(watchMs / 1000)} s to see whether it is still going`,
  )
  const until = performance.now() + watchMs
  while (performance.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(2000, watchMs / 4)))
    const now = await readLock(file)
    if (now === undefined) return true // released: the caller tries again
    if (now.content !== seen.content || now.touchedAt !== seen.touchedAt) return false
  }
  return true
}

/** Keeps the lock touched while it is ours, and says so at once if it is not; returns its release. */
function holding(file: string, jobId: string, content: string, options: JobLockOptions): () => Promise<void> {
  heldHere.set(file, content)
  const read = () => readFile(file, 'utf8').catch(() => undefined)
  const ours = async () => (await read()) === content
  let lost = false
  const heartbeat = setInterval(() => {
    void read()
      .then(async (now) => {
        if (now === content) return utimes(file, new Date(), new Date())
        if (lost) return
        lost = true
        options.onLost?.(
          new FatalError(
            now === undefined
              ? `the lock of job ${jobId} was deleted while this run held it`
              : `another run took over the lock of job ${jobId} while this one held it`,
            {
              hint: 'this run stops: only one run of a job may go on (see `ph-import jobs`), then run the command again',
            },
          ),
        )
      })
      .catch(() => {})
  }, options.heartbeatMs ?? HEARTBEAT_MS)
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
    // Not guarded: a third run locking in that very instant (the link fails, or where there are no hard
    // links the rename replaces its lock; two runs would hold the job until a heartbeat notices).
    await link(aside, file).catch((error: NodeJS.ErrnoException) =>
      NO_LINKS.has(error.code ?? '') ? rename(aside, file).catch(() => {}) : undefined,
    )
  }
  await rm(aside, { force: true })
}

/**
 * Drafts and moved-aside locks (`lock.<pid>.<hex>`, `lock.stale.<pid>.<hex>`) of runs killed mid-way: a
 * dead pid, and a minute old, since on a shared disk the pid may be another machine's run in progress.
 */
async function removeLeftovers(file: string): Promise<void> {
  const dir = path.dirname(file)
  const base = path.basename(file)
  const names = await readdir(dir).catch(() => [] as string[])
  for (const name of names) {
    const pid = new RegExp(`^${base}\\.(?:stale\\.)?(\\d+)\\.[0-9a-f]{8}$`).exec(name)?.[1]
    if (pid === undefined || Number(pid) === process.pid || alive(Number(pid))) continue
    const info = await stat(path.join(dir, name)).catch(() => undefined)
    if (info && Date.now() - info.mtimeMs > LEFTOVER_MS) await rm(path.join(dir, name), { force: true })
  }
}
