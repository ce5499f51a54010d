import path from 'node:path'
import {
  createFileDestination,
  errorKind,
  fieldMeta,
  objectShape,
  runImport,
  secretFields,
  secretValues,
} from '@ph-import/core'
import { parseConfig } from './harness.js'
import { type CheckEnv, type ConformanceCheck, ensure, fail } from './types.js'

/** Runs the config through runImport (plan only) and returns the ConfigError text, or fails. */
async function refusal(env: CheckEnv, config: unknown, label: string): Promise<string> {
  try {
    const result = await runImport({
      source: env.source,
      config,
      destination: createFileDestination({ path: path.join(env.tmp, 'refused.jsonl') }),
      stateDir: path.join(env.tmp, 'refused'),
      planOnly: true,
    })
    return fail(`${label} was accepted (plan status ${result.status}); it must be refused with a ConfigError`)
  } catch (error) {
    ensure(
      errorKind(error) === 'config',
      `${label} failed with ${(error as Error)?.name ?? 'an error'} instead of a ConfigError: ${(error as Error)?.message}`,
    )
    return (error as Error).message
  }
}

/** A readable message names something the user can fix and dumps no object or schema. */
function unreadable(message: string): string | undefined {
  if (message.trim() === '') return 'the message is empty'
  if (/\[object \w+\]/.test(message)) return 'the message contains [object ...]'
  if (/^\s*[[{]/.test(message.split('\n').slice(1).join('\n'))) return 'the message dumps JSON'
  return undefined
}

function defaultInvalidConfigs(valid: unknown, range: boolean): unknown[] {
  if (!range || valid === null || typeof valid !== 'object') return []
  return [{ ...(valid as Record<string, unknown>), start: 'not-a-date' }]
}

export const configRejectsInvalid: ConformanceCheck = {
  name: 'config_rejects_invalid',
  description: 'an empty or invalid config is refused with a ConfigError whose message names the fields',
  async run(env) {
    const empty = await refusal(env, {}, 'an empty config')
    const bad = unreadable(empty)
    ensure(!bad, `empty config: ${bad}:\n${empty}`)
    const required = Object.entries(objectShape(env.source.config))
      .filter(([, s]) => !s.safeParse(undefined).success)
      .map(([name]) => name)
    const unnamed = required.filter((name) => !empty.includes(name))
    ensure(
      unnamed.length === 0,
      `the message for an empty config does not name ${unnamed.join(', ')}:\n${empty}`,
    )
    const { config } = await env.setup()
    const invalid =
      env.options.invalidConfigs ?? defaultInvalidConfigs(config, env.capabilities.range === true)
    // The invalid configs carry the real secrets: a refusal must not echo them back.
    const secrets = secretValues(env.source.config, parseConfig(env.source, config))
    for (const [i, candidate] of invalid.entries()) {
      const message = await refusal(env, candidate, `invalid config #${i + 1}`)
      const problem = unreadable(message)
      ensure(!problem, `invalid config #${i + 1}: ${problem}:\n${message}`)
      ensure(
        !secrets.some((s) => message.includes(s)),
        `the refusal of invalid config #${i + 1} shows a secret value`,
      )
    }
    return `refused {} and ${invalid.length} invalid config(s); required fields named: ${required.join(', ')}`
  },
}

export const configMarksSecrets: ConformanceCheck = {
  name: 'config_marks_secrets',
  description: 'an HTTP source marks its credentials with secret(), so they are redacted and never stored',
  requires: ['http'],
  async run(env) {
    const secrets = secretFields(env.source.config)
    ensure(
      secrets.length > 0,
      'no config field is marked with secret(): wrap the API key/secret in secret(z.string()...) so it is never logged or stored',
    )
    return `secret fields: ${secrets.join(', ')}`
  },
}

export const configFieldsDescribed: ConformanceCheck = {
  name: 'config_fields_described',
  description: 'every config field has .describe(): CLI flags and help are generated from it',
  async run(env) {
    const shape = objectShape(env.source.config)
    const bare = Object.entries(shape)
      .filter(([, s]) => !(fieldMeta(s).description ?? s.description))
      .map(([name]) => name)
    if (bare.length > 0) fail(`fields without .describe(): ${bare.join(', ')}`)
    return `${Object.keys(shape).length} fields described`
  },
}
