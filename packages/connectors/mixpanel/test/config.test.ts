import { describe, expect, it } from 'vitest'
import { MixpanelConfig } from '../src/schema.js'

const base = { apiSecret: 's', start: '2024-03-01', end: '2024-03-07' }

function issues(input: Record<string, unknown>): string[] {
  const r = MixpanelConfig.safeParse({ ...base, ...input })
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
}

describe('config: the range', () => {
  it('refuses a day the calendar does not have, naming the field, instead of importing from it', () => {
    const missing = 'that day does not exist in the calendar (check the month and the day of the month)'
    expect(issues({ start: '2024-02-30' })).toEqual([`start: ${missing}`])
    expect(issues({ start: '2024-13-01' })).toEqual([`start: ${missing}`])
    expect(issues({ end: '2024-02-31T10:00:00Z' })).toEqual([`end: ${missing}`])
    expect(issues({ start: '2024-02-29', end: '2024-03-01' })).toEqual([])
  })

  it('a value that is no date gets one message, quoting it', () => {
    expect(issues({ start: '03/01/2024' })).toEqual([
      'start: expected YYYY-MM-DD or an ISO datetime (2024-03-01T00:00:00Z), not "03/01/2024"',
    ])
  })

  it('says when the end comes before the start', () => {
    expect(issues({ start: '2024-03-07', end: '2024-03-01' })).toEqual(['end: end is before start'])
  })
})

describe('config: the API host', () => {
  it('a --base-url without its scheme says to give it', () => {
    const message = 'baseUrl: expected an http(s) URL with its scheme, e.g. http://127.0.0.1:4010'
    expect(issues({ baseUrl: '127.0.0.1:4010' })).toEqual([message])
    expect(issues({ baseUrl: 'localhost:4010' })).toEqual([message])
    expect(issues({ baseUrl: 'http://127.0.0.1:4010' })).toEqual([])
  })
})
