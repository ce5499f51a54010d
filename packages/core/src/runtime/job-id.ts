import path from 'node:path'
import { objectShape, publicConfig } from '../contracts/config.js'
import { FatalError } from '../contracts/errors.js'
import type { MappingConfig } from '../contracts/mapping.js'
import type { AnySource } from '../contracts/source.js'
import { canonicalJson, contentHash } from '../util/uuid.js'

const STORAGE_CODES: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exhausted',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EIO: 'an I/O error occurred',
}

/**
 * A file-system failure becomes a message that says where: in the job directory, what to free or fix and that
 * a re-run resumes; on a file outside it (an input the user named), that file.
 */
export function storageOrUnknown(error: unknown, dir: string): FatalError {
  const code = (error as { code?: unknown })?.code
  const what = typeof code === 'string' ? STORAGE_CODES[code] : undefined
  const file = (error as { path?: unknown })?.path
  const inJob = typeof file !== 'string' || !path.relative(dir, path.resolve(file)).startsWith('..')
  if (what && !inJob) {
    return new FatalError(`cannot access ${file}: ${what} (${code})`, {
      cause: error,
      hint: 'fix the file’s permissions or the path given for it, then re-run the same command: it resumes',
    })
  }
  if (what) {
    return new FatalError(`cannot write the job directory ${dir}: ${what} (${code})`, {
      cause: error,
      hint: 'free space or fix permissions (or use --state-dir elsewhere), then re-run the same command: it resumes from the last checkpoint',
    })
  }
  return new FatalError(String((error as Error)?.message ?? error), { cause: error })
}

/**
 * The config without the fields left at their schema default: a connector that gains a field (with the
 * default that keeps its old behaviour) must not give every existing job a new id, or re-running the same
 * command after an upgrade would start over instead of resuming.
 */
function withoutDefaults(
  schema: AnySource['config'],
  config: Record<string, unknown>,
): Record<string, unknown> {
  const shape = objectShape(schema)
  return Object.fromEntries(
    Object.entries(config).filter(([key, value]) => {
      const field = shape[key]
      const fallback = field?.safeParse(undefined)
      return !(fallback?.success && canonicalJson(fallback.data) === canonicalJson(value))
    }),
  )
}

export function jobIdFor(
  source: AnySource,
  config: Record<string, unknown>,
  destination: string,
  mapping?: MappingConfig,
  target?: string,
  transform?: string,
  /** The id earlier builds gave: every field hashed, defaults included (run-import.ts looks for it). */
  legacy = false,
) {
  const identity = source.identity?.(config) ?? 'default'
  const all = publicConfig(source.config, config)
  const pub = legacy ? all : withoutDefaults(source.config, all)
  // The description is hashed too so a derived source (re-processing rejects) never resumes the original job.
  // Fields added later enter only when set, so the jobs of earlier versions keep their ids.
  const parts = {
    pub,
    identity,
    destination,
    mapping: mapping ?? null,
    kind: source.description,
    ...(target === undefined ? {} : { target }),
    ...(transform === undefined ? {} : { transform }),
  }
  return `${source.name}-${contentHash(parts, 12)}`
}
