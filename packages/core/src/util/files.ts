import { createHash } from 'node:crypto'
import { open, readdir, stat } from 'node:fs/promises'
import path from 'node:path'
import { ConfigError } from '../contracts/errors.js'

function globToRegExp(pattern: string): RegExp {
  let re = ''
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        // `**/` matches zero or more directories
        re += pattern[i + 2] === '/' ? '(?:.*/)?' : '.*'
        i += pattern[i + 2] === '/' ? 2 : 1
      } else re += '[^/]*'
    } else if (c === '?') re += '[^/]'
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${re}$`)
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) out.push(...(await walk(full)))
    else if (entry.isFile()) out.push(full)
  }
  return out
}

/**
 * Expands paths and globs (`*`, `**`, `?`) into a sorted, de-duplicated file list. A pattern that
 * matches nothing is a config error: silently importing zero files is the worst outcome.
 */
export async function expandFiles(patterns: readonly string[], cwd = process.cwd()): Promise<string[]> {
  const found = new Set<string>()
  for (const pattern of patterns) {
    if (!/[*?]/.test(pattern)) {
      const full = path.resolve(cwd, pattern)
      const info = await stat(full).catch(() => undefined)
      if (info?.isDirectory()) {
        const glob = `${pattern.replace(/[\\/]+$/, '')}/*`
        throw new ConfigError(`${pattern} is a directory, not a file`, {
          hint: `give the files in it with a pattern, quoted: '${glob}' (every file in it), '${pattern.replace(/[\\/]+$/, '')}/**' (subdirectories too)`,
        })
      }
      if (!info?.isFile())
        throw new ConfigError(`file not found: ${pattern}`, {
          hint: 'check the path (relative to the current directory)',
        })
      found.add(full)
      continue
    }
    const absolute = path.resolve(cwd, pattern).split(path.sep).join('/')
    const firstWild = absolute.search(/[*?]/)
    const base = absolute.slice(0, absolute.lastIndexOf('/', firstWild) + 1) || '/'
    const matcher = globToRegExp(absolute)
    const candidates = await walk(base).catch(() => [])
    const matches = candidates.filter((f) => matcher.test(f.split(path.sep).join('/')))
    if (matches.length === 0)
      throw new ConfigError(`no file matches ${pattern}`, {
        hint: 'check the pattern; quote it so your shell does not expand it',
      })
    for (const m of matches) found.add(m)
  }
  return [...found].sort()
}

/**
 * A content identity for a file (size + hash of its first MiB): stable when the file is moved or renamed,
 * so re-importing it yields the same uuids; different when the content differs.
 */
export async function fileIdentity(file: string): Promise<string> {
  const handle = await open(file, 'r')
  try {
    const { size } = await handle.stat()
    const head = Buffer.alloc(Math.min(size, 1 << 20))
    await handle.read(head, 0, head.length, 0)
    return `${size}-${createHash('sha256').update(head).digest('hex').slice(0, 16)}`
  } finally {
    await handle.close()
  }
}
