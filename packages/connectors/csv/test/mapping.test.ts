import { describe, expect, it } from 'vitest'
import { CsvConfig } from '../src/index.js'
import { HEADER, importCsv, importFiles, writeFiles } from './helpers.js'

const T = '2024-01-01T00:00:00Z'
const ROWS = `action,user,ts,plan,seats,paid,meta,email,first_seen\nsignup,u1,${T},pro,3,yes,"{""a"":[1,2]}",a@x.io,2023-05-01\n`

const base = { eventColumn: 'action', distinctIdColumn: 'user', timestampColumn: 'ts' }

describe('mapping', () => {
  it('maps the event, distinct id and timestamp columns; every other column becomes a string property', async () => {
    const { events } = await importCsv(ROWS, base)
    expect(events[0]).toMatchObject({
      event: 'signup',
      distinct_id: 'u1',
      timestamp: '2024-01-01T00:00:00.000Z',
    })
    expect(events[0]!.properties).toEqual({
      plan: 'pro',
      seats: '3',
      paid: 'yes',
      meta: '{"a":[1,2]}',
      email: 'a@x.io',
      first_seen: '2023-05-01',
      $import_source: 'csv',
    })
  })

  it('spreads a properties column of JSON (a PostHog or Segment export as CSV) into the event properties', async () => {
    const text = [
      `${HEADER},properties,$current_url`,
      `a,u1,${T},"{""plan"":""pro"",""n"":3,""$current_url"":""https://old"",""$set"":{""email"":""a@x.io""}}",https://new`,
      `b,u2,${T},not json,`,
    ].join('\n')
    const { events } = await importCsv(`${text}\n`)
    expect(events[0]?.properties).toMatchObject({
      plan: 'pro',
      n: 3,
      // The column of that name wins over the key inside the JSON.
      $current_url: 'https://new',
      $set: { email: 'a@x.io' },
    })
    expect(events[0]?.properties).not.toHaveProperty('properties')
    expect(events[1]?.properties.properties).toBe('not json')
  })

  it('reads \\N (MySQL and Postgres dumps) as an empty cell, and NULL too when --null-values says so', async () => {
    const text = `${HEADER},email,plan\na,u1,${T},\\N,pro\nb,\\N,${T},NULL,free\n`
    const dump = await importCsv(text, { set: ['email'] })
    // No property, no $set that would overwrite a person's email with "\N"; a row without an id is rejected.
    expect(dump.events).toHaveLength(1)
    expect(dump.events[0]?.properties).not.toHaveProperty('$set')
    expect(dump.rejects.map((r) => r.code)).toEqual(['missing_distinct_id'])
    const marked = await importCsv(`${HEADER},email\nb,u2,${T},NULL\n`, {
      set: ['email'],
      nullValues: ['\\N', 'NULL'],
    })
    expect(marked.events[0]?.properties).not.toHaveProperty('$set')
    const literal = await importCsv(`${HEADER},email\nb,u2,${T},NULL\n`, { set: ['email'] })
    expect(literal.events[0]?.properties.$set).toEqual({ email: 'NULL' })
  })

  it('warns when a rename gives a property the name of another column, which has its own value', async () => {
    const { result } = await importCsv(ROWS, { ...base, rename: { email: 'plan' } })
    expect(result.report.warnings.join('\n')).toContain(
      '--rename email=plan names a property after the column "plan", which has its own: one of the two values is lost',
    )
    const swapped = await importCsv(ROWS, { ...base, rename: { email: 'plan', plan: 'tier' } })
    expect(swapped.result.report.warnings.join('\n')).not.toContain('--rename')
  })

  it('a constant event name replaces the event column (which then stays a property)', async () => {
    const { events } = await importCsv(ROWS, { ...base, event: 'legacy_event' })
    expect(events[0]!.event).toBe('legacy_event')
    expect(events[0]!.properties.action).toBe('signup')
  })

  it('properties picks the columns; exclude drops some; rename changes names', async () => {
    const only = await importCsv(ROWS, { ...base, properties: ['plan', 'seats'] })
    expect(only.events[0]!.properties).toEqual({ plan: 'pro', seats: '3', $import_source: 'csv' })
    const excluded = await importCsv(ROWS, { ...base, exclude: 'meta,email,first_seen' })
    expect(Object.keys(excluded.events[0]!.properties).sort()).toEqual([
      '$import_source',
      'paid',
      'plan',
      'seats',
    ])
    const renamed = await importCsv(ROWS, { ...base, properties: 'plan', rename: '{"plan":"plan_name"}' })
    expect(renamed.events[0]!.properties).toEqual({ plan_name: 'pro', $import_source: 'csv' })
  })

  it('types: number, boolean and json columns are converted', async () => {
    const { events } = await importCsv(ROWS, {
      ...base,
      types: { seats: 'number', paid: 'boolean', meta: 'json' },
    })
    expect(events[0]!.properties).toMatchObject({ seats: 3, paid: true, meta: { a: [1, 2] } })
  })

  it('a value that does not convert rejects the row with the column and value', async () => {
    const text = `event,distinct_id,timestamp,n,ok\na,u1,${T},12.5e1,no\nb,u2,${T},12 apples,yes\nc,u3,${T},1,maybe\n`
    const { events, rejects } = await importCsv(text, { types: 'n=number,ok=boolean' })
    expect(events.map((e) => [e.properties.n, e.properties.ok])).toEqual([[125, false]])
    expect(rejects.map((r) => [r.code, r.record.line])).toEqual([
      ['invalid_value', 3],
      ['invalid_value', 4],
    ])
    expect(rejects[0]!.message).toBe(
      `${rejects[0]!.record.file} line 3: column "n": "12 apples" is not a number`,
    )
  })

  it('set and setOnce columns become $set / $set_once (renamed and typed), not event properties', async () => {
    const { events } = await importCsv(ROWS, {
      ...base,
      set: ['email', 'plan', 'seats'],
      setOnce: 'first_seen',
      rename: { email: '$email' },
      types: { seats: 'number' },
    })
    const p = events[0]!.properties
    expect(p.$set).toEqual({ $email: 'a@x.io', plan: 'pro', seats: 3 })
    expect(p.$set_once).toEqual({ first_seen: '2023-05-01' })
    expect(p).not.toHaveProperty('email')
    expect(p).not.toHaveProperty('plan')
  })

  it('group columns put each row in the group its cell names ($groups), the column kept as a property', async () => {
    const text = `event,distinct_id,timestamp,company,team\na,u1,${T},acme,7\nb,u2,${T},,\n`
    const { events } = await importCsv(text, { groups: 'company=company,team=team' })
    expect(events[0]!.properties).toMatchObject({ company: 'acme', $groups: { company: 'acme', team: '7' } })
    // An empty cell names no group.
    expect(events[1]!.properties).not.toHaveProperty('$groups')
    for (const groups of [
      { a: 'company', b: 'company' },
      Object.fromEntries([1, 2, 3, 4, 5, 6].map((i) => [`c${i}`, `t${i}`])),
    ]) {
      expect(CsvConfig.safeParse({ files: 'x.csv', groups }).error?.issues[0]?.message).toMatch(
        /^at most 5 group types \(PostHog keeps 5 per project\), each from one column/,
      )
    }
  })

  it('missing event name or distinct id is dead-lettered; an illegal distinct id too', async () => {
    const text = `event,distinct_id,timestamp\n,u1,${T}\na,  ,${T}\nb,null,${T}\nc,u4,${T}\n`
    const { events, rejects } = await importCsv(text)
    expect(events.map((e) => e.event)).toEqual(['c'])
    expect(rejects.map((r) => r.code)).toEqual([
      'missing_event_name',
      'missing_distinct_id',
      'illegal_distinct_id',
    ])
  })

  it('config strings from the CLI: comma lists, JSON arrays and objects, key=value maps', () => {
    const parsed = CsvConfig.parse({
      files: 'a.csv, b/*.csv',
      properties: '["x","y"]',
      set: 'email',
      rename: 'a=b, c:d, url=$current_url',
      types: '{"n":"number"}',
    })
    expect(parsed.files).toEqual(['a.csv', 'b/*.csv'])
    expect(parsed.properties).toEqual(['x', 'y'])
    expect(parsed.set).toEqual(['email'])
    expect(parsed.rename).toEqual({ a: 'b', c: 'd', url: '$current_url' })
    expect(parsed.types).toEqual({ n: 'number' })
    expect(CsvConfig.safeParse({ files: [] }).success).toBe(false)
    expect(CsvConfig.safeParse({ files: 'a.csv', types: { n: 'date' } }).success).toBe(false)
  })
})

describe('uuids', () => {
  const text = `event,distinct_id,timestamp,id\na,u1,${T},evt-1\na,u1,${T},evt-1\nb,u2,${T},\nc,u3,${T},0b6a4d1e-4f0e-4c7a-9a53-6b5b1f1f2c3d\n`

  it('come from the id column when mapped (a UUID is kept), else from the row values', async () => {
    const first = await importCsv(text, { idColumn: 'id' })
    const [a1, a2, b, c] = first.events
    expect(a1!.uuid).toBe(a2!.uuid)
    expect(c!.uuid).toBe('0b6a4d1e-4f0e-4c7a-9a53-6b5b1f1f2c3d')
    expect(new Set([a1!.uuid, b!.uuid, c!.uuid]).size).toBe(3)
    // Same file, another run from another directory: the same uuids.
    const again = await importCsv(text, { idColumn: 'id' }, 'renamed.csv')
    expect(again.events.map((e) => e.uuid)).toEqual(first.events.map((e) => e.uuid))
  })

  it('row (default): the same row in another file, grown file or re-export keeps its uuid', async () => {
    const dir = writeFiles({
      'jan.csv': `event,distinct_id,timestamp\na,u1,${T}\nb,u2,${T}\n`,
      'jan-and-feb.csv': `distinct_id,event,timestamp\nu2,b,${T}\nu9,z,2024-02-01T00:00:00Z\n`,
    })
    const { events } = await importFiles(dir, { files: ['*.csv'] })
    const byKey = new Map<string, string[]>()
    for (const e of events)
      byKey.set(`${e.event}/${e.distinct_id}`, [...(byKey.get(`${e.event}/${e.distinct_id}`) ?? []), e.uuid])
    // Row b/u2 appears in both files (columns in another order): one uuid, PostHog keeps one copy.
    expect(new Set(byKey.get('b/u2')).size).toBe(1)
    expect(new Set(events.map((e) => e.uuid)).size).toBe(3)
  })

  it('file-line keeps identical rows apart; file-row ties uuids to the file content', async () => {
    const twice = `event,distinct_id,timestamp\na,u1,${T}\na,u1,${T}\n`
    const byLine = await importCsv(twice, { uuidFrom: 'file-line' })
    expect(new Set(byLine.events.map((e) => e.uuid)).size).toBe(2)
    const byRow = await importCsv(twice)
    expect(new Set(byRow.events.map((e) => e.uuid)).size).toBe(1)
    const fileRow = await importCsv(twice, { uuidFrom: 'file-row' })
    const otherFile = await importCsv(`${twice}b,u2,${T}\n`, { uuidFrom: 'file-row' })
    expect(fileRow.events[0]!.uuid).not.toBe(byRow.events[0]!.uuid)
    expect(otherFile.events[0]!.uuid).not.toBe(fileRow.events[0]!.uuid)
  })
})
