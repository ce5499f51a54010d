import { Flags, type Interfaces } from '@oclif/core'
import { fieldMeta, objectShape } from '@ph-import/core'
import type { z } from 'zod'

/** How a config field is given on the command line. */
export type FieldKind = 'string' | 'number' | 'boolean' | 'enum' | 'list' | 'json'

/** One connector config field, as the CLI sees it: everything read from the zod schema. */
export interface ConfigField {
  name: string
  flag: string
  kind: FieldKind
  options: string[] | undefined
  description: string
  required: boolean
  default: unknown
  secret: boolean
  env: string | undefined
  char: string | undefined
  hidden: boolean
}

interface Def {
  type: string
  innerType?: z.ZodType
  in?: z.ZodType
  out?: z.ZodType
  defaultValue?: unknown
  entries?: Record<string, string>
}
const defOf = (schema: z.ZodType) => (schema as unknown as { def: Def }).def
const WRAPPERS = new Set(['optional', 'default', 'nullable', 'prefault', 'readonly', 'catch'])

/** The schema a flag value is parsed against: wrappers removed; a preprocess pipe judged by its output. */
function valueSchema(schema: z.ZodType): z.ZodType {
  let current = schema
  for (let i = 0; i < 20; i++) {
    const def = defOf(current)
    if (WRAPPERS.has(def.type) && def.innerType) current = def.innerType
    else if (def.type === 'pipe' && def.in && def.out)
      current = defOf(def.in).type === 'transform' ? def.out : def.in
    else break
  }
  return current
}

function defaultOf(schema: z.ZodType): unknown {
  let current = schema
  for (let i = 0; i < 20; i++) {
    const def = defOf(current)
    if (def.type === 'default' || def.type === 'prefault') return def.defaultValue
    if (WRAPPERS.has(def.type) && def.innerType) current = def.innerType
    else if (def.type === 'pipe' && def.in) current = def.in
    else return undefined
  }
  return undefined
}

function kindOf(schema: z.ZodType): { kind: FieldKind; options?: string[] } {
  const def = defOf(valueSchema(schema))
  switch (def.type) {
    case 'boolean':
      return { kind: 'boolean' }
    case 'number':
    case 'int':
    case 'bigint':
      return { kind: 'number' }
    case 'enum':
      return { kind: 'enum', options: Object.values(def.entries ?? {}) }
    case 'array':
      return { kind: 'list' }
    case 'object':
    case 'record':
      return { kind: 'json' }
    default:
      return { kind: 'string' }
  }
}

export const kebab = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()

/** Reads every top-level field of a connector's config schema: the single source of its flags and help. */
export function configFields(schema: z.ZodType, reserved: ReadonlySet<string> = new Set()): ConfigField[] {
  return Object.entries(objectShape(schema)).map(([name, fieldSchema]) => {
    const meta = fieldMeta(fieldSchema)
    const { kind, options } = kindOf(fieldSchema)
    const wanted = meta.flag ?? kebab(name)
    return {
      name,
      // A field named like a common flag (--rate, --json) keeps working under a prefixed name.
      flag: reserved.has(wanted) ? `source-${wanted}` : wanted,
      kind,
      options,
      description: meta.description ?? fieldSchema.description ?? '',
      required: !fieldSchema.safeParse(undefined).success,
      default: defaultOf(fieldSchema),
      secret: meta.secret === true,
      env: meta.env,
      char: meta.char,
      hidden: meta.hidden === true,
    }
  })
}

function helpText(field: ConfigField): string {
  const parts = [field.description]
  if (field.default !== undefined && field.kind !== 'boolean')
    parts.push(
      `(default: ${typeof field.default === 'string' ? field.default : JSON.stringify(field.default)})`,
    )
  if (field.kind === 'boolean' && field.default !== undefined) parts.push(`(default: ${field.default})`)
  if (field.kind === 'list') parts.push('(repeat the flag or separate with commas)')
  if (field.kind === 'json') parts.push('(JSON, or key=value,key=value)')
  if (field.secret) parts.push('(secret: never stored or printed)')
  return parts.filter(Boolean).join(' ')
}

const parseNumber = (flag: string) => async (input: string) => {
  const value = Number(input)
  if (input.trim() === '' || !Number.isFinite(value))
    throw new Error(`--${flag} expects a number, got "${input}"`)
  return value
}

/**
 * oclif flags for config fields. No oclif defaults: zod applies them, so an unset flag stays distinguishable
 * (a resumed job keeps its stored value). Fields with an env fallback are checked by zod, not marked required,
 * so the message can name both the flag and the variable.
 */
export function oclifFlags(
  fields: readonly ConfigField[],
  options: { requireFields: boolean },
): Interfaces.FlagInput {
  const out: Record<string, unknown> = {}
  for (const f of fields) {
    const common = {
      description: helpText(f),
      hidden: f.hidden,
      required: options.requireFields && f.required && !f.env,
      ...(f.env ? { env: f.env } : {}),
      ...(f.char ? { char: f.char as 'a' } : {}),
    }
    if (f.kind === 'boolean') out[f.flag] = Flags.boolean({ ...common, allowNo: true })
    else if (f.kind === 'number') out[f.flag] = Flags.custom<number>({ parse: parseNumber(f.flag) })(common)
    else if (f.kind === 'enum') out[f.flag] = Flags.string({ ...common, options: f.options ?? [] })
    else if (f.kind === 'list') out[f.flag] = Flags.string({ ...common, multiple: true, delimiter: ',' })
    else out[f.flag] = Flags.string(common)
  }
  return out as Interfaces.FlagInput
}

/** Parsed flag values → the connector's (unparsed) config object, keyed by field name. */
export function flagsToConfig(
  fields: readonly ConfigField[],
  flags: Record<string, unknown>,
): Record<string, unknown> {
  const config: Record<string, unknown> = {}
  for (const f of fields) {
    const value = flags[f.flag]
    if (value === undefined) continue
    config[f.name] = f.kind === 'json' && typeof value === 'string' ? (objectFlag(value) ?? value) : value
  }
  return config
}

/**
 * An object flag's text: JSON, or `key=value,key=value` (values stay strings; the schema coerces them).
 * Undefined when it is neither, and the text goes to the schema as it is: its message names the flag, and a
 * connector may read other forms itself (the CSV connector's `column:type`).
 */
export function objectFlag(text: string): unknown {
  const trimmed = text.trim()
  if (/^[[{]/.test(trimmed)) {
    try {
      return JSON.parse(trimmed)
    } catch {
      return undefined
    }
  }
  const pairs = trimmed.split(',').map((pair) => {
    const at = pair.indexOf('=')
    return at <= 0 ? undefined : ([pair.slice(0, at).trim(), pair.slice(at + 1).trim()] as const)
  })
  if (trimmed === '' || pairs.some((p) => p === undefined || p[0] === '')) return undefined
  return Object.fromEntries(pairs as Array<readonly [string, string]>)
}
