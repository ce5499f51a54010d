import { copyFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { importFiles, tempDir } from './helpers.js'

const example = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'examples', 'events.csv')

describe('the shipped example (README)', () => {
  it('loads the good rows and reports each bad row with file, line and reason', async () => {
    const dir = tempDir()
    copyFileSync(example, path.join(dir, 'events.csv'))
    const { result, events, rejects } = await importFiles(dir, {
      files: ['events.csv'],
      types: { amount: 'number' },
      set: ['email', 'plan'],
    })
    expect(result.status).toBe('done')
    expect(result.report.records).toEqual({ read: 20, staged: 16, filtered: 0, rejected: 4 })
    expect(result.report.accounting.ok).toBe(true)
    // Physical lines: row 6's quoted value spans lines 7-8, so every later row is one line further down.
    expect(rejects.map((r) => [r.code, r.record.line])).toEqual([
      ['missing_distinct_id', 12],
      ['invalid_timestamp', 13],
      ['invalid_value', 16],
      ['ragged_row', 18],
    ])
    expect(rejects.map((r) => r.message.replace(/^.*events\.csv /, ''))).toEqual([
      'line 12: column "distinct_id" is empty',
      'line 13: 2024-02-30 is not a calendar date',
      'line 16: column "amount": "twelve" is not a number',
      'line 18: 9 values for 8 columns (a delimiter inside an unquoted value?)',
    ])
    const upgraded = events.find((e) => e.event === 'upgraded' && e.distinct_id === 'user-2')!
    expect(upgraded).toMatchObject({
      timestamp: '2024-03-01T09:17:00.000Z',
      properties: { amount: 49, $set: { email: 'ben@example.com', plan: 'pro' }, $import_source: 'csv' },
    })
    expect(events.find((e) => e.event === 'purchase')!.timestamp).toBe('2024-03-01T10:05:00.123456Z')
  })
})
