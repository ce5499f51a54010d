import type { z } from 'zod'

/**
 * Field metadata the CLI and the runtime read from a connector's zod schema (zod 4 `.meta()`):
 * flags, help, env-var fallbacks and secret redaction are all generated from it, never written twice.
 */
export interface FieldMeta {
  /** Never logged, stored in the job directory, or echoed; its value is redacted from every message. */
  secret?: boolean
  /** Environment variable the CLI falls back to, e.g. AMPLITUDE_SECRET_KEY. */
  env?: string
  /** Flag name override (default: the field name in kebab-case). */
  flag?: string
  /** One-letter alias for the flag. */
  char?: string
  /** Hidden from help (advanced or test-only knobs). */
  hidden?: boolean
}

/** Marks a zod field as a secret, with an optional environment-variable fallback. */
export function secret<T extends z.ZodType>(schema: T, meta: Omit<FieldMeta, 'secret'> = {}): T {
  return schema.meta({ ...readMeta(schema), ...meta, secret: true }) as T
}

/** Attaches CLI metadata (env fallback, flag name) to a non-secret field. */
export function field<T extends z.ZodType>(schema: T, meta: FieldMeta): T {
  return schema.meta({ ...readMeta(schema), ...meta }) as T
}

export function readMeta(schema: z.ZodType): FieldMeta & { description?: string } {
  const meta = schema.meta() as (FieldMeta & { description?: string }) | undefined
  return meta ?? {}
}

/** Unwraps optional/default/nullable wrappers so metadata and kind can be read from the inner type. */
export function unwrapSchema(schema: z.ZodType): z.ZodType {
  let current: z.ZodType = schema
  for (let i = 0; i < 10; i++) {
    const def = (current as unknown as { def: { type: string; innerType?: z.ZodType } }).def
    if (def.innerType && ['optional', 'default', 'nullable', 'prefault', 'readonly'].includes(def.type)) {
      current = def.innerType
    } else break
  }
  return current
}

/** Metadata of an object field, looking through optional/default wrappers. */
export function fieldMeta(schema: z.ZodType): FieldMeta & { description?: string } {
  return { ...readMeta(unwrapSchema(schema)), ...readMeta(schema) }
}

export function objectShape(schema: z.ZodType): Record<string, z.ZodType> {
  const inner = unwrapSchema(schema) as unknown as {
    def: { type: string; shape?: Record<string, z.ZodType> }
  }
  return inner.def.type === 'object' && inner.def.shape ? inner.def.shape : {}
}

/** Names of the top-level fields marked secret. */
export function secretFields(schema: z.ZodType): string[] {
  return Object.entries(objectShape(schema))
    .filter(([, s]) => fieldMeta(s).secret === true)
    .map(([name]) => name)
}

/** The config without its secret fields: safe to hash into a job id and to write to disk. */
export function publicConfig(schema: z.ZodType, config: Record<string, unknown>): Record<string, unknown> {
  const secrets = new Set(secretFields(schema))
  return Object.fromEntries(Object.entries(config).filter(([k]) => !secrets.has(k)))
}

/** The secret values present in a parsed config, for redaction. */
export function secretValues(schema: z.ZodType, config: Record<string, unknown>): string[] {
  return secretFields(schema)
    .map((name) => config[name])
    .filter((v): v is string => typeof v === 'string' && v.length > 0)
}

/** Turns a zod error into lines a person can act on: the field name, not a schema path dump. */
export function formatConfigIssues(
  error: z.ZodError,
  fieldLabel: (path: string) => string = (p) => p,
): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.map(String).join('.')
      const where = path ? fieldLabel(path) : 'config'
      return `${where}: ${issue.message}`
    })
    .join('\n')
}
