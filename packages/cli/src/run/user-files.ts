import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { ConfigError, type EventHook, MappingConfig } from '@ph-import/core'
import { parse as parseYaml } from 'yaml'

/** Reads and validates `--mapping` (JSON or YAML); errors name the file and the field. */
export async function loadMappingFile(file: string): Promise<MappingConfig> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    throw new ConfigError(
      `--mapping ${file}: cannot read the file (${(error as NodeJS.ErrnoException).code})`,
    )
  }
  let data: unknown
  try {
    data = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text)
  } catch (error) {
    throw new ConfigError(
      `--mapping ${file}: not valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'}: ${(error as Error).message.split('\n')[0]}`,
    )
  }
  const parsed = MappingConfig.safeParse(data ?? {})
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const where = issue.path.length > 0 ? issue.path.join('.') : '(top level)'
      // zod 4 names unknown keys in the message already; older messages did not.
      const named = 'keys' in issue && Array.isArray(issue.keys) ? issue.keys.map(String) : []
      const keys = named.some((k) => !issue.message.includes(k)) ? `: ${named.join(', ')}` : ''
      return `${where}: ${issue.message}${keys}`
    })
    throw new ConfigError(`--mapping ${file}: ${lines.join('; ')}`, {
      hint: 'allowed sections: events.{rename,include,exclude}, properties.{rename,drop,set}, source',
    })
  }
  return parsed.data
}

/** Whether this Node loads TypeScript itself: type stripping, on by default from Node 22.18 and 23.6. */
export function nodeStripsTypes(): boolean {
  const features = process.features as { typescript?: unknown }
  return Boolean(features.typescript) || process.execArgv.includes('--experimental-strip-types')
}

/**
 * Where a module's syntax error is. A failed `import()` gives only the message: Node keeps the location
 * for its own crash report, out of reach. `node --check` prints it (`/path/file.mjs:4`, then the line), so
 * it runs once, on this error path only.
 */
async function syntaxErrorLocation(file: string): Promise<{ line: number; text: string } | undefined> {
  const stderr = await new Promise<string>((resolve) => {
    execFile(process.execPath, ['--check', path.resolve(file)], { timeout: 10_000 }, (_error, _out, err) =>
      resolve(String(err)),
    )
  })
  const lines = stderr.split('\n')
  const at = lines.findIndex((l) => l.startsWith(path.resolve(file)))
  const line = at >= 0 ? Number(/:(\d+)$/.exec(lines[at] as string)?.[1]) : Number.NaN
  return Number.isInteger(line) ? { line, text: lines[at + 1] ?? '' } : undefined
}

/**
 * Loads `--transform`: a JS module default-exporting `(event) => event | event[] | null`. A TypeScript
 * module loads where Node strips types itself (Node 22.6+ with --experimental-strip-types, by default from
 * 22.18 and 23.6); elsewhere it is refused, saying how to go on.
 */
export async function loadTransformModule(file: string): Promise<EventHook> {
  if (/\.(c|m)?tsx?$/i.test(file) && !nodeStripsTypes())
    throw new ConfigError(`--transform ${file}: Node ${process.version} cannot load TypeScript`, {
      hint: 'compile it to .js (or .mjs) first, e.g. `npx tsc --module nodenext` on that file, or run Node 22.18 or later (22.6+ with NODE_OPTIONS=--experimental-strip-types)',
    })
  let mod: { default?: unknown }
  try {
    mod = (await import(pathToFileURL(path.resolve(file)).href)) as { default?: unknown }
  } catch (error) {
    const at = error instanceof SyntaxError ? await syntaxErrorLocation(file) : undefined
    if (at)
      throw new ConfigError(
        `--transform ${file}: syntax error at line ${at.line}: ${(error as Error).message}`,
        {
          hint: `line ${at.line} reads: ${at.text.trim()}`,
        },
      )
    throw new ConfigError(`--transform ${file}: the module failed to load: ${(error as Error).message}`)
  }
  if (typeof mod.default !== 'function')
    throw new ConfigError(`--transform ${file}: the module has no default-exported function`, {
      hint: 'write `export default (event) => event` (return the event, an array of events, or null to drop it)',
    })
  return mod.default as EventHook
}
