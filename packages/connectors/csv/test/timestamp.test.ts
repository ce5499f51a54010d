import { describe, expect, it } from 'vitest'
import { CsvConfig, parseTimestamp } from '../src/index.js'
import { HEADER, importCsv } from './helpers.js'

const utc = (value: string, extra: { timezone?: string; format?: string } = {}) =>
  parseTimestamp(value, { timezone: extra.timezone ?? 'UTC', format: extra.format })
const iso = (value: string, extra: { timezone?: string; format?: string } = {}) => {
  const r = utc(value, extra)
  return r.ok ? r.iso : `invalid: ${r.reason}`
}

describe('timestamps', () => {
  it('ISO 8601 with a zone: Z, ±HH:MM, ±HHMM, ±HH, and a trailing UTC', () => {
    expect(iso('2024-03-01T10:20:30Z')).toBe('2024-03-01T10:20:30.000Z')
    expect(iso('2024-03-01T10:20:30+02:00')).toBe('2024-03-01T08:20:30.000Z')
    expect(iso('2024-03-01T10:20:30-0530')).toBe('2024-03-01T15:50:30.000Z')
    expect(iso('2024-03-01T01:00:00+05')).toBe('2024-02-29T20:00:00.000Z')
    expect(iso('2024-03-01 10:20:30 UTC')).toBe('2024-03-01T10:20:30.000Z')
    // A zone wins over --timezone.
    expect(iso('2024-03-01T10:20:30Z', { timezone: 'Asia/Tokyo' })).toBe('2024-03-01T10:20:30.000Z')
  })

  it('ISO 8601 without a zone is UTC by default, or read in --timezone (DST-aware via Intl)', () => {
    expect(iso('2024-03-01T10:20:30')).toBe('2024-03-01T10:20:30.000Z')
    expect(iso('2024-01-15T12:00:00', { timezone: 'Europe/Berlin' })).toBe('2024-01-15T11:00:00.000Z')
    expect(iso('2024-07-15T12:00:00', { timezone: 'Europe/Berlin' })).toBe('2024-07-15T10:00:00.000Z')
    expect(iso('2024-07-15 12:00', { timezone: 'Asia/Kolkata' })).toBe('2024-07-15T06:30:00.000Z')
    expect(iso('2024-03-01', { timezone: 'America/New_York' })).toBe('2024-03-01T05:00:00.000Z')
  })

  it('resolves DST gaps forward and repeated hours to the earlier instant', () => {
    // 02:30 does not exist in New York on 2024-03-10: it becomes 03:30 EDT.
    expect(iso('2024-03-10 02:30:00', { timezone: 'America/New_York' })).toBe('2024-03-10T07:30:00.000Z')
    // 01:30 happens twice on 2024-11-03: the first (EDT) one.
    expect(iso('2024-11-03 01:30:00', { timezone: 'America/New_York' })).toBe('2024-11-03T05:30:00.000Z')
  })

  it('YYYY-MM-DD HH:MM:SS[.ffffff] keeps the full fraction', () => {
    expect(iso('2024-03-01 10:20:30.123456')).toBe('2024-03-01T10:20:30.123456Z')
    expect(iso('2024-03-01 10:20:30.5')).toBe('2024-03-01T10:20:30.500Z')
    expect(iso('2024-03-01T10:20:30.123456789Z')).toBe('2024-03-01T10:20:30.123456789Z')
  })

  it('epoch seconds, ms (above 1e10), µs (1e14) and ns (1e17), every fraction digit kept', () => {
    expect(iso('1709288430')).toBe('2024-03-01T10:20:30.000Z')
    expect(iso('1709288430123')).toBe('2024-03-01T10:20:30.123Z')
    expect(iso('1709288430.25')).toBe('2024-03-01T10:20:30.250Z')
    expect(iso('1709288430123.456')).toBe('2024-03-01T10:20:30.123456Z')
    expect(iso('10000000000')).toBe('2286-11-20T17:46:40.000Z')
    expect(iso('1709288430123456')).toBe('2024-03-01T10:20:30.123456Z')
    expect(iso('1709288430123456789')).toBe('2024-03-01T10:20:30.123456789Z')
  })

  it('an epoch before 1973 is no event time: an Excel serial date, a count, a 0', () => {
    expect(iso('44927')).toBe(
      'invalid: 44927 as an epoch is 1970-01-01, before 1973: no event time (an Excel serial date? a count?)',
    )
    expect(iso('0')).toMatch(/^invalid: 0 as an epoch is 1970-01-01/)
    // Above 1e10 is milliseconds: 1970 again.
    expect(iso('10000000001')).toMatch(/^invalid: 10000000001 as an epoch is 1970-04-26/)
  })

  it('a date written without separators is refused, not read as 1970 epoch seconds; its format reads it', () => {
    expect(iso('20240501')).toBe(
      'invalid: 20240501 looks like the day 2024-05-01 written without separators, not epoch seconds (which would be 1970): give --timestamp-format YYYYMMDD',
    )
    expect(iso('20240501', { format: 'YYYYMMDD' })).toBe('2024-05-01T00:00:00.000Z')
    // Eight digits that spell no day are epoch seconds, as PostHog reads them: 1970, so no event time.
    expect(iso('20241340')).toMatch(/^invalid: 20241340 as an epoch is 1970-08-23, before 1973/)
  })

  it('an explicit format: day-first, month-first 12-hour, month names, fractions, zones, literals', () => {
    expect(iso('01/02/2024 13:05:09', { format: 'DD/MM/YYYY HH:mm:ss' })).toBe('2024-02-01T13:05:09.000Z')
    expect(iso('01/02/2024 1:05 PM', { format: 'MM/DD/YYYY h:mm A' })).toBe('2024-01-02T13:05:00.000Z')
    expect(iso('12/31/99 12:00 am', { format: 'MM/DD/YY hh:mm A' })).toBe('1999-12-31T00:00:00.000Z')
    expect(iso('5-Mar-2024', { format: 'D-MMM-YYYY' })).toBe('2024-03-05T00:00:00.000Z')
    expect(iso('20240305101112.123456', { format: 'YYYYMMDDHHmmss.SSSSSS' })).toBe(
      '2024-03-05T10:11:12.123456Z',
    )
    expect(iso('2024.03.05 at 10:11 +0100', { format: 'YYYY.MM.DD [at] HH:mm Z' })).toBe(
      '2024-03-05T09:11:00.000Z',
    )
    expect(iso('05/03/2024 10:00', { format: 'DD/MM/YYYY HH:mm', timezone: 'Europe/Paris' })).toBe(
      '2024-03-05T09:00:00.000Z',
    )
  })

  it('rejects impossible dates and unknown forms with a reason', () => {
    expect(iso('2024-02-30 00:00:00')).toBe('invalid: 2024-02-30 is not a calendar date')
    expect(iso('2023-02-29')).toMatch(/not a calendar date/)
    expect(iso('2024-13-01')).toMatch(/month 13/)
    expect(iso('2024-01-01 24:00:00')).toMatch(/not a time of day/)
    expect(iso('yesterday')).toMatch(/give --timestamp-format/)
    expect(iso('01/02/2024')).toMatch(/not an epoch, ISO 8601/)
    expect(iso('2024-01-01', { format: 'DD/MM/YYYY' })).toMatch(/does not match format DD\/MM\/YYYY/)
    expect(iso('31/02/2024', { format: 'DD/MM/YYYY' })).toMatch(/not a calendar date/)
  })

  it('in an import: bad and missing timestamps are dead-lettered with file and line, the rest load', async () => {
    const text = [
      HEADER,
      'a,u1,2024-01-01T00:00:00Z',
      'b,u2,2024-02-30 10:00:00',
      'c,u3,',
      'd,u4,1704067200',
      'e,u5,1704067200000',
      'f,u6,not a date',
    ].join('\n')
    const { events, rejects } = await importCsv(text)
    expect(events.map((e) => [e.event, e.timestamp])).toEqual([
      ['a', '2024-01-01T00:00:00.000Z'],
      ['d', '2024-01-01T00:00:00.000Z'],
      ['e', '2024-01-01T00:00:00.000Z'],
    ])
    expect(rejects.map((r) => [r.code, r.record.line])).toEqual([
      ['invalid_timestamp', 3],
      ['missing_timestamp', 4],
      ['invalid_timestamp', 7],
    ])
    expect(rejects[0]!.message).toMatch(/data\.csv line 3: 2024-02-30 is not a calendar date/)
  })

  it('refuses a format that cannot match, naming the letter, before any row is read', () => {
    const problem = (timestampFormat: string) =>
      CsvConfig.safeParse({ files: 'x.csv', timestampFormat }).error?.issues[0]?.message
    expect(problem('QQ-YYYY')).toBe(
      '"Q" at position 1 is no token (tokens: YYYY YY MMM MM M DD D HH H hh h mm ss S… A Z); put literal text in [brackets]',
    )
    expect(problem('HH:mm')).toBe('it needs a year (YYYY or YY), a month (MMM, MM or M) and a day (DD or D)')
    expect(problem('YYYY-MM-DD [at HH:mm')).toBe('the [ at position 12 is never closed')
    for (const ok of [
      'DD/MM/YYYY HH:mm:ss.SSS',
      'YYYY-MM-DDTHH:mm:ssZ',
      'YYYY.MM.DD [at] HH:mm Z',
      'D-MMM-YY h:mm A',
    ])
      expect(problem(ok)).toBeUndefined()
  })

  it('in an import: --timezone and --timestamp-format apply to every row', async () => {
    const text = `${HEADER}\na,u1,03/10/2024 02:30\nb,u2,03/11/2024 02:30\n`
    const { events } = await importCsv(text, {
      timestampFormat: 'MM/DD/YYYY HH:mm',
      timezone: 'America/New_York',
    })
    expect(events.map((e) => e.timestamp)).toEqual(['2024-03-10T07:30:00.000Z', '2024-03-11T06:30:00.000Z'])
    await expect(importCsv(text, { timezone: 'Mars/Olympus' })).rejects.toThrow(/not an IANA time zone/)
  })
})
