import { readFile } from 'node:fs/promises'
import path from 'node:path'
import type { JobReport } from '@ph-import/core'
import { expect } from 'vitest'

export interface DeliveryCheck {
  expected: number
  unique: number
  missing: string[]
  unexpected: string[]
}

/** Every expected uuid present, nothing else (uuids compared lowercase, as PostHog stores them). */
export function compareUuids(expected: Iterable<string>, actual: Iterable<string>): DeliveryCheck {
  const want = new Set([...expected].map((u) => u.toLowerCase()))
  const got = new Set([...actual].map((u) => u.toLowerCase()))
  const missing = [...want].filter((u) => !got.has(u))
  const unexpected = [...got].filter((u) => !want.has(u))
  return { expected: want.size, unique: got.size, missing, unexpected }
}

export function expectExactDelivery(expected: Iterable<string>, actual: Iterable<string>): DeliveryCheck {
  const check = compareUuids(expected, actual)
  // Counts first: a failure then says how many, not a 200k-element diff.
  expect({ missing: check.missing.length, unexpected: check.unexpected.length }).toEqual({
    missing: 0,
    unexpected: 0,
  })
  return check
}

export async function readReport(jobDir: string): Promise<JobReport> {
  return JSON.parse(await readFile(path.join(jobDir, 'report.json'), 'utf8')) as JobReport
}

/** read = staged + filtered + rejected (records); loaded + dead-lettered = staged (events), nothing pending. */
export function expectExactAccounting(report: JobReport): void {
  const { records, events } = report
  expect(records.read).toBe(records.staged + records.filtered + records.rejected)
  expect(events.loaded + events.deadLettered).toBe(events.staged)
  expect(events.pending).toBe(0)
  expect(report.accounting.ok).toBe(true)
  expect(report.status).toBe('done')
}

export interface RejectRow {
  partition: string
  line?: number
  stage: string
  code: string
  message: string
  record?: unknown
}

export async function readRejects(jobDir: string): Promise<RejectRow[]> {
  let text: string
  try {
    text = await readFile(path.join(jobDir, 'rejects.jsonl'), 'utf8')
  } catch {
    return []
  }
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as RejectRow)
}
