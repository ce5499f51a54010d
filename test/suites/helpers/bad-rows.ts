import { randomUUID } from 'node:crypto'
import { seededRandom } from '@ph-import/testkit'

/** A row of a bad-input file and what must become of it: a reject code, or delivery. */
export interface Case {
  name: string
  bytes: Buffer
  /** Dead-letter code expected, once; undefined = delivered. */
  code?: string
  /** Text the reject's message or record carries, to tie the reject to its row. */
  marker?: string
  /** Delivered rows: the uuid PostHog must hold (undefined = derived by ph-import, found by distinct id). */
  uuid?: string
  distinctId?: string
}

const TS = '2024-01-15T10:00:00Z'
const SIZE_2MB = 2 * 1024 * 1024

/** Bytes that are not UTF-8: a lone continuation byte, an overlong form, a truncated 3-byte sequence. */
export const INVALID_UTF8 = Buffer.from([0x80, 0xc0, 0xaf, 0xe2, 0x82])

/** Seeded binary noise with NULs and high bytes, never a newline, quote or comma (one garbage field). */
export function garbage(length: number, seed: number): Buffer {
  const random = seededRandom(seed)
  const out = Buffer.alloc(length)
  for (let i = 0; i < length; i++) {
    let b = Math.floor(random() * 256)
    if (b === 0x0a || b === 0x0d || b === 0x22 || b === 0x2c) b = 0x00
    out[i] = b
  }
  return out
}

const line = (text: string) => Buffer.from(`${text}\n`)

/** Good rows: a fresh UUID each (the id column), distinct ids good-0… */
export function goodCsvRows(n: number): Case[] {
  return Array.from({ length: n }, (_, i) => {
    const uuid = randomUUID()
    return {
      name: `good ${i}`,
      bytes: line(`signup,good-${i},${TS},${uuid},ok ${i}`),
      uuid,
      distinctId: `good-${i}`,
    }
  })
}

/** Every malformed CSV row we know of, header `event,distinct_id,timestamp,id,payload`. */
export function badCsvRows(): Case[] {
  const id = () => randomUUID()
  return [
    // Lenient by design (csv-parse relax_quotes, see the README): a stray quote stays text, the row is delivered.
    { name: 'text after a closing quote', bytes: line(`signup,"q-1"x,${TS},,p`), distinctId: '"q-1"x' },
    {
      name: 'binary garbage',
      bytes: Buffer.concat([garbage(64, 1), Buffer.from('\n')]),
      code: 'invalid_utf8',
    },
    {
      name: 'too many values',
      bytes: line(`signup,ragged-1,${TS},${id()},p,extra,more`),
      code: 'ragged_row',
      marker: 'ragged-1',
    },
    { name: 'no event', bytes: line(`,noevent-1,${TS},${id()},p`), code: 'missing_event_name' },
    { name: 'no distinct id', bytes: line(`signup,,${TS},${id()},p`), code: 'missing_distinct_id' },
    { name: 'no timestamp (short row)', bytes: line('signup,short-1'), code: 'missing_timestamp' },
    {
      name: 'February 30',
      bytes: line(`signup,date-1,2024-02-30T10:00:00Z,${id()},p`),
      code: 'invalid_timestamp',
      marker: 'date-1',
    },
    {
      name: 'month 13',
      bytes: line(`signup,date-2,2024-13-01 10:00:00,${id()},p`),
      code: 'invalid_timestamp',
      marker: 'date-2',
    },
    {
      name: 'not a date',
      bytes: line(`signup,date-3,yesterday,${id()},p`),
      code: 'invalid_timestamp',
      marker: 'date-3',
    },
    {
      name: '2 MB property',
      bytes: line(`signup,big-1,${TS},${id()},${'x'.repeat(SIZE_2MB)}`),
      code: 'event_too_large',
      marker: 'big-1',
    },
    {
      name: '300-character distinct id',
      bytes: line(`signup,${'L'.repeat(300)},${TS},${id()},p`),
      code: 'distinct_id_too_long',
    },
    ...['anonymous', 'null', '0', 'undefined', '[object Object]', '"guest"', 'NaN'].map((bad, i) => ({
      name: `refused id ${bad}`,
      bytes: line(`signup,${bad.includes('"') ? `"""guest"""` : bad},${TS},${id()},illegal-${i}`),
      code: 'illegal_distinct_id',
      marker: `illegal-${i}`,
    })),
    {
      name: 'invalid UTF-8 in the distinct id',
      bytes: Buffer.concat([Buffer.from('signup,utf-'), INVALID_UTF8, Buffer.from(`,${TS},${id()},p\n`)]),
      code: 'invalid_utf8',
    },
    // Not a UUID in the id column: documented to derive a deterministic uuid, never to send the text.
    { name: 'non-UUID id', bytes: line(`signup,nonuuid-1,${TS},not-a-uuid-123,p`), distinctId: 'nonuuid-1' },
  ]
}

const json = (value: unknown) => line(JSON.stringify(value))

export function goodJsonlRows(n: number): Case[] {
  return Array.from({ length: n }, (_, i) => {
    const uuid = randomUUID()
    return {
      name: `good ${i}`,
      bytes: json({ event: 'signup', distinct_id: `good-${i}`, timestamp: TS, uuid, properties: { n: i } }),
      uuid,
      distinctId: `good-${i}`,
    }
  })
}

/** Every malformed JSON line we know of. */
export function badJsonlRows(): Case[] {
  const ev = (over: Record<string, unknown>) => ({
    event: 'signup',
    distinct_id: 'x',
    timestamp: TS,
    uuid: randomUUID(),
    ...over,
  })
  return [
    {
      name: 'cut JSON',
      bytes: line('{"event":"signup","distinct_id":"cut-1",'),
      code: 'unparsable_line',
      marker: 'cut-1',
    },
    {
      name: 'binary garbage',
      bytes: Buffer.concat([garbage(64, 2), Buffer.from('\n')]),
      code: 'invalid_utf8',
    },
    {
      name: 'invalid UTF-8 inside a string',
      bytes: Buffer.concat([
        Buffer.from('{"event":"signup","distinct_id":"utf-'),
        INVALID_UTF8,
        Buffer.from(`","timestamp":"${TS}"}\n`),
      ]),
      code: 'invalid_utf8',
    },
    { name: 'an array', bytes: json(['signup', 'arr-1']), code: 'not_an_object' },
    { name: 'a number', bytes: line('42'), code: 'not_an_object' },
    {
      name: 'no event',
      bytes: json(ev({ event: undefined, distinct_id: 'noevent-1' })),
      code: 'missing_event_name',
      marker: 'noevent-1',
    },
    {
      name: 'no distinct id',
      bytes: json(ev({ distinct_id: undefined, properties: { m: 'noid-1' } })),
      code: 'missing_distinct_id',
      marker: 'noid-1',
    },
    {
      name: 'February 30',
      bytes: json(ev({ distinct_id: 'date-1', timestamp: '2024-02-30T10:00:00Z' })),
      code: 'invalid_timestamp',
      marker: 'date-1',
    },
    {
      name: 'not a date',
      bytes: json(ev({ distinct_id: 'date-2', timestamp: 'soon' })),
      code: 'invalid_timestamp',
      marker: 'date-2',
    },
    {
      name: '2 MB properties',
      bytes: json(ev({ distinct_id: 'big-1', properties: { blob: 'x'.repeat(SIZE_2MB) } })),
      code: 'event_too_large',
      marker: 'big-1',
    },
    {
      name: '300-character distinct id',
      bytes: json(ev({ distinct_id: 'L'.repeat(300) })),
      code: 'distinct_id_too_long',
    },
    ...['anonymous', 'null', 'None', 'distinct_id', 'true'].map((bad, i) => ({
      name: `refused id ${bad}`,
      bytes: json(ev({ distinct_id: bad, properties: { m: `illegal-${i}` } })),
      code: 'illegal_distinct_id',
      marker: `illegal-${i}`,
    })),
    {
      name: 'non-UUID uuid',
      bytes: json(ev({ distinct_id: 'nonuuid-1', uuid: 'evt-0001' })),
      distinctId: 'nonuuid-1',
    },
    {
      // Half an emoji: JSON.parse takes it, capture's parser refuses the whole batch around it.
      name: 'a lone surrogate',
      bytes: json(ev({ distinct_id: 'lone-1', properties: { text: 'cut mid-emoji \ud83d' } })),
      code: 'invalid_unicode',
      marker: 'lone-1',
    },
    {
      // A group key PostHog's groups cannot hold: the update would be lost after capture answered 200.
      name: 'a group key over 400 characters',
      bytes: json(
        ev({
          event: '$groupidentify',
          distinct_id: 'group-1',
          properties: {
            $group_type: 'company',
            $group_key: `G${'g'.repeat(400)}`,
            $group_set: { m: 'long-group' },
          },
        }),
      ),
      code: 'invalid_group',
      marker: 'long-group',
    },
  ]
}
