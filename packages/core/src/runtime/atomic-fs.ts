import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises'
import path from 'node:path'

/**
 * Crash-safe replace: write a temp file, fsync it, rename over the target, fsync the directory.
 * A reader sees either the old or the new content, never half of one.
 */
let tmpCounter = 0

export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${file}.${process.pid}.${tmpCounter++}.tmp`
  // The directory nearly always exists (load.json is rewritten after every batch): create it on demand only.
  const handle = await open(tmp, 'w').catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error
    await mkdir(path.dirname(file), { recursive: true })
    return open(tmp, 'w')
  })
  try {
    await handle.writeFile(data)
    await handle.sync()
  } catch (error) {
    // A full disk: no half-written temp file left behind for each failed save.
    await handle.close().catch(() => {})
    await rm(tmp, { force: true }).catch(() => {})
    throw error
  }
  await handle.close()
  await rename(tmp, file)
  await fsyncDir(path.dirname(file))
}

/**
 * Appends lines and fsyncs. If a crash tore the file's last line, the new lines start on a line of
 * their own: glued to the fragment they would be unreadable too, and readers skip only the fragment.
 */
export async function appendLinesDurably(file: string, lines: readonly string[]): Promise<void> {
  const handle = await open(file, 'a+')
  let created = false
  try {
    const { size } = await handle.stat()
    created = size === 0
    let separator = ''
    if (size > 0) {
      const last = Buffer.alloc(1)
      await handle.read(last, 0, 1, size - 1)
      if (last[0] !== 0x0a) separator = '\n'
    }
    await handle.write(`${separator}${lines.join('\n')}\n`)
    await handle.sync()
  } finally {
    await handle.close()
  }
  // A file this call may have created is durable only once its directory entry is.
  if (created) await fsyncDir(path.dirname(file))
}

export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(value, null, 1)}\n`)
}

export async function readJsonIfExists<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

export async function fsyncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  } catch {
    // Some filesystems refuse fsync on directories; the rename is still atomic there.
  }
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}
