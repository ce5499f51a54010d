import { createLogger } from '@ph-import/core'
import got from 'got'
import { describe, expect, it } from 'vitest'
import { planAmplitude } from '../src/plan.js'
import { AmplitudeConfig } from '../src/schema.js'

function plan(config: Record<string, unknown>, now = '2024-03-10T00:00:00Z') {
  const warnings: string[] = []
  const partitions = planAmplitude({
    config: AmplitudeConfig.parse({ apiKey: 'k', secretKey: 's', ...config }),
    http: got,
    signal: new AbortController().signal,
    logger: createLogger({ sink: () => {} }),
    warn: (m) => warnings.push(m),
    now: new Date(now),
  })
  return { partitions, warnings }
}

describe('plan', () => {
  it('makes one partition per upload day, T00..T23, ordered by start', () => {
    const { partitions, warnings } = plan({ start: '2024-02-28', end: '2024-03-01' })
    expect(partitions).toEqual([
      {
        key: '2024-02-28',
        order: '2024-02-28T00:00:00.000Z',
        params: { start: '20240228T00', end: '20240228T23' },
      },
      {
        key: '2024-02-29',
        order: '2024-02-29T00:00:00.000Z',
        params: { start: '20240229T00', end: '20240229T23' },
      },
      {
        key: '2024-03-01',
        order: '2024-03-01T00:00:00.000Z',
        params: { start: '20240301T00', end: '20240301T23' },
      },
    ])
    expect(warnings).toEqual([])
  })

  it('takes datetimes: start rounded down, an exclusive end rounded up, partial days keyed by hours', () => {
    const { partitions } = plan({ start: '2024-03-01T05:30:00Z', end: '2024-03-02T03:00:00Z' })
    expect(partitions.map((p) => [p.key, p.params.start, p.params.end])).toEqual([
      ['2024-03-01T05-23', '20240301T05', '20240301T23'],
      ['2024-03-02T00-02', '20240302T00', '20240302T02'],
    ])
  })

  it('defaults the end to the last complete hour (now − 2 h) without a warning', () => {
    const { partitions, warnings } = plan({ start: '2024-03-09' }, '2024-03-09T12:59:00Z')
    expect(partitions.map((p) => p.params.end)).toEqual(['20240309T09'])
    expect(warnings).toEqual([])
  })

  it('refuses an empty or not-yet-complete range', () => {
    expect(() => plan({ start: '2024-03-02', end: '2024-03-01T00:00:00Z' })).toThrow(
      /^--end 2024-03-01T00:00:00Z is not after --start /,
    )
    expect(() => plan({ start: '2024-03-09T23:00:00Z' }, '2024-03-10T00:30:00Z')).toThrow(
      /nothing to export yet/,
    )
  })

  it('rejects malformed dates in the config with one message, and days the calendar does not have', () => {
    const issues = (start: string) =>
      AmplitudeConfig.safeParse({ apiKey: 'k', secretKey: 's', start }).error?.issues.map((i) => i.message)
    expect(issues('03/01/2024')).toEqual([
      'expected YYYY-MM-DD or an ISO datetime (2024-03-01T00:00:00Z), not "03/01/2024"',
    ])
    // Date.parse would take it as 1 March: the range would quietly move.
    expect(issues('2024-02-30')).toEqual([
      'that day does not exist in the calendar (check the month and the day of the month)',
    ])
    expect(issues('2024-02-29T10')).toBeUndefined()
  })
})
