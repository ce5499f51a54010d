import type { AnySource } from '@ph-import/core'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { configFields, flagsToConfig, objectFlag } from '../src/connectors/schema-flags.js'
import { validateConfig } from '../src/connectors/validate-config.js'

describe('object flags (JSON, or key=value,key=value)', () => {
  it('reads key=value pairs, trimming around them and keeping later = signs in the value', () => {
    expect(objectFlag('company_id=company, team_id = team')).toEqual({
      company_id: 'company',
      team_id: 'team',
    })
    expect(objectFlag('where=a=b')).toEqual({ where: 'a=b' })
    expect(objectFlag('{"a": 1}')).toEqual({ a: 1 })
  })

  it('leaves other text for the schema to judge: a bare word, an empty key, broken JSON, a connector form', () => {
    for (const text of ['company', '=x', 'a=1,', '{"a":', '', 'col:number'])
      expect(objectFlag(text)).toBeUndefined()
  })

  it('hands the parsed object to the schema, whose errors still name the field', () => {
    const schema = z.object({
      groups: z.record(z.string(), z.string()).optional(),
      ids: z.record(z.string(), z.coerce.number()).optional(),
    })
    const fields = configFields(schema)
    const config = flagsToConfig(fields, { groups: 'company_id=company', ids: 'a=1,b=2' })
    expect(schema.parse(config)).toEqual({ groups: { company_id: 'company' }, ids: { a: 1, b: 2 } })
    const bad = schema.safeParse(flagsToConfig(fields, { groups: 'company' }))
    expect(bad.success).toBe(false)
    expect(bad.error?.issues[0]?.path).toEqual(['groups'])
  })

  it('says which forms an object flag takes when the text was neither', () => {
    const schema = z.object({ groups: z.record(z.string(), z.string()).optional() })
    const source = { name: 'demo', config: schema } as unknown as AnySource
    const fields = configFields(schema)
    expect(() => validateConfig(source, fields, flagsToConfig(fields, { groups: 'company' }))).toThrow(
      /^demo: --groups: expected JSON or key=value,key=value \(/,
    )
  })
})
