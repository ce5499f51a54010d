import { type AnySource, ConfigError } from '@ph-import/core'
import type { ConfigField } from './schema-flags.js'

/**
 * Validates a connector config before anything starts, naming flags (`--api-key`) instead of schema paths,
 * and the env variable when one would do. Values are never echoed: a secret could be among them.
 */
export function validateConfig(
  source: AnySource,
  fields: readonly ConfigField[],
  config: Record<string, unknown>,
): Record<string, unknown> {
  const parsed = source.config.safeParse(config)
  if (parsed.success) return parsed.data as Record<string, unknown>
  const byName = new Map(fields.map((f) => [f.name, f]))
  const lines = parsed.error.issues.map((issue) => {
    const top = issue.path[0]
    const field = typeof top === 'string' ? byName.get(top) : undefined
    if (!field) return `${source.name} config: ${issue.message}`
    const nested = issue.path.length > 1 ? ` (at ${issue.path.slice(1).join('.')})` : ''
    if (config[field.name] === undefined && issue.code === 'invalid_type') {
      const env = field.env ? ` (or set ${field.env})` : ''
      return `--${field.flag} is required${env}: ${field.description}`
    }
    // An object flag whose text was neither JSON nor pairs reaches the schema as a string.
    if (field.kind === 'json' && issue.path.length === 1 && typeof config[field.name] === 'string') {
      return `--${field.flag}: expected JSON or key=value,key=value (${issue.message})`
    }
    return `--${field.flag}${nested}: ${issue.message}`
  })
  throw new ConfigError(`${source.name}: ${lines.length === 1 ? lines[0] : `\n  ${lines.join('\n  ')}`}`, {
    hint: `run \`ph-import ${source.name} --help\` to see every flag`,
  })
}
