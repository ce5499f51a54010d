import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { storageOrUnknown } from '../src/runtime/job-id.js'

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
