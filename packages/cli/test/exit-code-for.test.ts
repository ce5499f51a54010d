import type { JobReport } from '@ph-import/core'
import { expect, it } from 'vitest'
import { exitCodeFor } from '../src/run/run-job.js'

const report = (error?: JobReport['error']) => ({ ...(error ? { error } : {}) }) as JobReport

it('exits 75 when the job gave up on what may pass, 1 when a person must look, 0 and 130 as before', () => {
  const transient = { message: 'PostHog kept failing after 10 attempts: HTTP 503', transient: true }
  expect(exitCodeFor({ status: 'failed', report: report(transient) })).toBe(75)
  expect(exitCodeFor({ status: 'incomplete', report: report() })).toBe(75)
  expect(
    exitCodeFor({
      status: 'failed',
      report: report({ message: 'HTTP 401, the project API key was refused' }),
    }),
  ).toBe(1)
  expect(exitCodeFor({ status: 'done', report: report() })).toBe(0)
  expect(exitCodeFor({ status: 'interrupted', report: report() })).toBe(130)
})

it('exits 1 when a job that is done rejected every record it read: nothing was sent', () => {
  const records = (read: number, staged: number, rejected: number) =>
    ({ records: { read, staged, filtered: read - staged - rejected, rejected } }) as JobReport
  expect(exitCodeFor({ status: 'done', report: records(10, 0, 10) })).toBe(1)
  expect(exitCodeFor({ status: 'done', report: records(10, 1, 9) })).toBe(0)
  // Nothing read, or everything filtered (a range with no data, an event filter): not a failure.
  expect(exitCodeFor({ status: 'done', report: records(0, 0, 0) })).toBe(0)
  expect(exitCodeFor({ status: 'done', report: records(10, 0, 0) })).toBe(0)
})
