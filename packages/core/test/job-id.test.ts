import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineSource } from '../src/contracts/source.js'
import { jobIdFor, storageOrUnknown } from '../src/runtime/job-id.js'

const fsError = (code: string, file: string) =>
  Object.assign(new Error(`${code}: operation failed, open '${file}'`), { code, path: file })

describe('file-system failures say where', () => {
  const jobDir = path.resolve('/state/jobs/csv-1234')

  it('in the job directory: what to free or fix there, and that a re-run resumes', () => {
    const error = storageOrUnknown(fsError('ENOSPC', path.join(jobDir, 'events', 'p.jsonl')), jobDir)
    expect(error.message).toBe(`cannot write the job directory ${jobDir}: the disk is full (ENOSPC)`)
    expect(error.hint).toMatch(/free space or fix permissions/)
  })

  it('on an input outside it (a CSV the user named): that file, not the job directory', () => {
    const error = storageOrUnknown(fsError('EACCES', '/data/exports/secret.csv'), jobDir)
    expect(error.message).toBe('cannot access /data/exports/secret.csv: permission denied (EACCES)')
    expect(error.hint).toMatch(/fix the file’s permissions or the path given for it/)
  })
})

describe('job ids across versions of a connector', () => {
  const v1 = defineSource({
    name: 'acme',
    description: 'acme events',
    config: z.object({
      start: z.string().describe('first day'),
      pageSize: z.number().default(100).describe('page'),
    }),
    plan: () => [],
    async *export() {},
    transform: () => [],
  })
  // The next version adds a field whose default keeps the old behaviour.
  const v2 = defineSource({
    ...v1,
    config: z.object({
      start: z.string().describe('first day'),
      pageSize: z.number().default(100).describe('page'),
      sessions: z.boolean().default(true).describe('new in v2'),
    }),
  })
  const idOf = (source: typeof v1, input: Record<string, unknown>) =>
    jobIdFor(
      source,
      source.config.parse(input) as Record<string, unknown>,
      'PostHog https://us.i.posthog.com',
    )

  it('keeps the id when a new field is left at its default, so re-running after an upgrade resumes', () => {
    expect(idOf(v2, { start: '2024-01-01' })).toBe(idOf(v1, { start: '2024-01-01' }))
    expect(idOf(v2, { start: '2024-01-01', pageSize: 100 })).toBe(idOf(v1, { start: '2024-01-01' }))
  })

  it('changes it for a value that is not the default', () => {
    expect(idOf(v2, { start: '2024-01-01', sessions: false })).not.toBe(idOf(v1, { start: '2024-01-01' }))
    expect(idOf(v1, { start: '2024-01-01', pageSize: 50 })).not.toBe(idOf(v1, { start: '2024-01-01' }))
    expect(idOf(v1, { start: '2024-01-02' })).not.toBe(idOf(v1, { start: '2024-01-01' }))
  })
})
