import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { createFileDestination, runImport } from '@ph-import/core'
import { tempDir } from '@ph-import/testkit'
import { describe, expect, it } from 'vitest'
import jsonl from '../src/index.js'

const example = path.resolve(import.meta.dirname, '../examples/events.jsonl')

function tmp() {
  return tempDir('ph-jsonl-')
}
function lines<T = Record<string, unknown>>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T)
}

/** Writes `text` as `<fresh dir>/<name>` and imports it into `<dir>/out.jsonl`: the run and that file. */
async function importText(name: string, text: string, config: Record<string, unknown> = {}) {
  const dir = tmp()
  const file = path.join(dir, name)
  writeFileSync(file, text)
  const out = path.join(dir, 'out.jsonl')
  const r = await runImport({
    source: jsonl,
    config: { ...config, files: [file] },
    destination: createFileDestination({ path: out }),
    stateDir: dir,
  })
  return { r, out }
}

describe('jsonl connector', () => {
  it('imports the example: good lines delivered, each bad line dead-lettered with file, line and reason', async () => {
    const dir = tmp()
    const out = path.join(dir, 'out.jsonl')
    const r = await runImport({
      source: jsonl,
      config: { files: [example] },
      destination: createFileDestination({ path: out }),
      stateDir: dir,
    })
    expect(r.status).toBe('done')
    const events = lines<{
      event: string
      distinct_id: string
      timestamp: string
      uuid: string
      properties: Record<string, unknown>
    }>(out)
    expect(events.map((e) => e.event)).toEqual(['$pageview', 'signup', 'purchase', 'purchase'])
    expect(events[0]!.timestamp).toBe('2024-03-01T09:00:00.120Z')
    expect(events[1]!.properties.$set).toEqual({ email: 'one@example.com' })
    expect(events[2]!.uuid).toBe('0190a8b4-5a9c-7f3e-9c1d-2b3a4c5d6e7f')
    expect(events[2]!.timestamp).toBe(new Date(1709290000 * 1000).toISOString())
    expect(events[3]!.distinct_id).toBe('42')
    expect(events[3]!.timestamp).toBe('2024-03-01T18:30:00.000Z')
    expect(events.every((e) => e.properties.$import_source === 'jsonl')).toBe(true)
    const rejects = lines<{ code: string; message: string }>(path.join(r.jobDir, 'rejects.jsonl'))
    expect(rejects.map((x) => x.code)).toEqual([
      'missing_event_name',
      'invalid_timestamp',
      'unparsable_line',
      'illegal_distinct_id',
    ])
    expect(rejects[2]!.message).toMatch(/events\.jsonl:7: not valid JSON/)
    expect(r.report.accounting.ok).toBe(true)
  })

  it('gives the same uuids for the same file content wherever it lives, plain or gzipped', async () => {
    const dir = tmp()
    const moved = path.join(dir, 'renamed.jsonl')
    writeFileSync(moved, readFileSync(example))
    const a = path.join(dir, 'a.jsonl')
    const b = path.join(dir, 'b.jsonl')
    await runImport({
      source: jsonl,
      config: { files: [example] },
      destination: createFileDestination({ path: a }),
      stateDir: dir,
    })
    await runImport({
      source: jsonl,
      config: { files: [moved] },
      destination: createFileDestination({ path: b }),
      stateDir: dir,
    })
    expect(lines<{ uuid: string }>(b).map((e) => e.uuid)).toEqual(
      lines<{ uuid: string }>(a).map((e) => e.uuid),
    )
    const gz = path.join(dir, 'events.jsonl.gz')
    writeFileSync(gz, gzipSync(readFileSync(example)))
    const c = path.join(dir, 'c.jsonl')
    await runImport({
      source: jsonl,
      config: { files: [path.join(dir, '*.gz')] },
      destination: createFileDestination({ path: c }),
      stateDir: dir,
    })
    expect(lines<{ event: string }>(c).map((e) => e.event)).toEqual(
      lines<{ event: string }>(a).map((e) => e.event),
    )
  })

  it('dead-letters invalid UTF-8 and binary garbage without stopping', async () => {
    const dir = tmp()
    const file = path.join(dir, 'mixed.jsonl')
    const good = '{"event":"ok","distinct_id":"u","timestamp":"2024-01-01T00:00:00Z"}\n'
    writeFileSync(
      file,
      Buffer.concat([Buffer.from(good), Buffer.from([0xff, 0xfe, 0x00, 0x41, 0x0a]), Buffer.from(good)]),
    )
    const out = path.join(dir, 'o.jsonl')
    const r = await runImport({
      source: jsonl,
      config: { files: [file] },
      destination: createFileDestination({ path: out }),
      stateDir: dir,
    })
    expect(lines(out)).toHaveLength(2)
    expect(r.report.rejectsByCode).toEqual({ invalid_utf8: 1 })
  })

  it('resumes mid-file from its byte-offset cursor: no gap, no repeat', async () => {
    const dir = tmp()
    const file = path.join(dir, 'big.jsonl')
    const n = 60_000
    writeFileSync(
      file,
      Array.from({ length: n }, (_, i) =>
        JSON.stringify({
          event: 'e',
          distinct_id: `u${i % 97}`,
          timestamp: 1_700_000_000_000 + i,
          properties: { i },
        }),
      ).join('\n'),
    )
    const out = path.join(dir, 'o.jsonl')
    const controller = new AbortController()
    let pages = 0
    const first = await runImport({
      source: {
        ...jsonl,
        export: (ctx) =>
          abortAfter(
            jsonl.export(ctx as Parameters<typeof jsonl.export>[0]),
            () => ++pages === 7 && controller.abort(),
          ),
      },
      config: { files: [file] },
      destination: createFileDestination({ path: out }),
      stateDir: dir,
      rate: 1e9,
      signal: controller.signal,
      exportCheckpointMs: 0,
    })
    expect(first.status).toBe('interrupted')
    const state = JSON.parse(readFileSync(path.join(first.jobDir, 'state.json'), 'utf8'))
    expect(state.partitions[0].export.status).toBe('partial')
    expect(state.partitions[0].export.cursor.line).toBeGreaterThanOrEqual(5 * 5000)
    expect(state.partitions[0].export.cursor.offset).toBeGreaterThan(0)
    const second = await runImport({
      source: jsonl,
      config: { files: [file] },
      destination: createFileDestination({ path: out }),
      stateDir: dir,
      rate: 1e9,
    })
    expect(second.status).toBe('done')
    const got = lines<{ properties: { i: number } }>(out).map((e) => e.properties.i)
    expect(new Set(got).size).toBe(n)
    expect(second.report.records.read).toBe(n)
  })
})

async function* abortAfter<T>(pages: AsyncIterable<T>, onPage: () => unknown): AsyncIterable<T> {
  for await (const page of pages) {
    yield page
    onPage()
  }
}

describe('timestamps', () => {
  it('takes ISO 8601 and epoch numbers only: what Date.parse would guess is rejected, quoting the value', async () => {
    const values = [
      '2024-05-01T10:00:00+02:00',
      '2024-05-01 10:00:00',
      '2024-05-01',
      1714557600,
      '1714557600000',
    ]
    const guesses = ['01/05/2024', 'May 1, 2024', '2024/05/01', '-1', 20240501]
    const { r, out } = await importText(
      'times.jsonl',
      `${[...values, ...guesses].map((t, i) => JSON.stringify({ event: 'e', distinct_id: `u${i}`, timestamp: t })).join('\n')}\n`,
    )
    expect(lines<{ timestamp: string }>(out).map((e) => e.timestamp)).toEqual([
      '2024-05-01T08:00:00.000Z',
      '2024-05-01T10:00:00.000Z',
      '2024-05-01T00:00:00.000Z',
      '2024-05-01T10:00:00.000Z',
      '2024-05-01T10:00:00.000Z',
    ])
    expect(r.report.rejectsByCode).toEqual({ invalid_timestamp: 5 })
    const messages = lines<{ message: string }>(r.report.rejectsFile).map((x) => x.message)
    // Eight digits that spell a day are that day, not 1970 epoch seconds.
    expect(messages[4]).toMatch(
      /"timestamp" is 20240501, the day 2024-05-01 written without separators, not epoch seconds \(which would be 1970\): write it as 2024-05-01$/,
    )
    expect(messages[0]).toMatch(
      /times\.jsonl:6: "timestamp" is "01\/05\/2024", not an ISO 8601 date or an epoch number/,
    )
  })

  it('reads µs and ns epochs and keeps sub-millisecond digits; an Excel serial date or a 0 is no time', async () => {
    const values = [
      1714557600123456,
      '1714557600123456789',
      '2024-05-01T10:00:00.123456+02:00',
      '1714557612999999999',
      44927,
      0,
    ]
    const { r, out } = await importText(
      'precise.jsonl',
      `${values.map((t, i) => JSON.stringify({ event: 'e', distinct_id: `u${i}`, timestamp: t })).join('\n')}\n`,
    )
    expect(lines<{ timestamp: string }>(out).map((e) => e.timestamp)).toEqual([
      '2024-05-01T10:00:00.123456Z',
      '2024-05-01T10:00:00.123456789Z',
      '2024-05-01T08:00:00.123456Z',
      // Not rounded up to the next second.
      '2024-05-01T10:00:12.999999999Z',
    ])
    expect(r.report.rejectsByCode).toEqual({ invalid_timestamp: 2 })
  })
})

describe('numbers beyond a double', () => {
  it('keeps the digits of integers past 2^53 (warehouse INT64 ids), as strings: two users stay two', async () => {
    const { out } = await importText(
      'ids.jsonl',
      [
        '{"event":"e","distinct_id":9007199254740993,"timestamp":1714557600,"properties":{"order":1152921504606846977,"n":12,"s":"id 9007199254740993","f":1.5e300}}',
        '{"event":"e","distinct_id":9007199254740992,"timestamp":1714557600,"properties":{"list":[-9007199254740995,1]}}',
      ].join('\n'),
    )
    const events = lines<{ distinct_id: string; properties: Record<string, unknown> }>(out)
    expect(events.map((e) => e.distinct_id)).toEqual(['9007199254740993', '9007199254740992'])
    expect(events[0]?.properties).toMatchObject({
      order: '1152921504606846977',
      n: 12,
      s: 'id 9007199254740993',
      f: 1.5e300,
    })
    expect(events[1]?.properties.list).toEqual(['-9007199254740995', 1])
  })
})

describe('a line too long to hold', () => {
  it('is dead-lettered by its length, not read into memory, and the lines after it go on', async () => {
    const big = JSON.stringify({
      event: 'e',
      distinct_id: 'u',
      timestamp: 1714557600,
      blob: 'x'.repeat(17 * 1024 * 1024),
    })
    const ok = (i: number) => JSON.stringify({ event: 'e', distinct_id: `u${i}`, timestamp: 1714557600 })
    // The file's last chunk holds the end of a long line and the lines after it: those are read one by one.
    const { r, out } = await importText(
      'long.jsonl',
      `${ok(1)}\n${big}\n${ok(2)}\n${ok(3)}\n${ok(4)}\n${big}\n${ok(5)}\n${ok(6)}`,
    )
    expect(lines<{ distinct_id: string }>(out).map((e) => e.distinct_id)).toEqual([
      'u1',
      'u2',
      'u3',
      'u4',
      'u5',
      'u6',
    ])
    expect(r.report.rejectsByCode).toEqual({ line_too_long: 2 })
    const rejects = lines<{ message: string }>(r.report.rejectsFile)
    expect(rejects[0]?.message).toMatch(/long\.jsonl:2: the line is 17825\d\d\d bytes, over the 16 MiB/)
    expect(rejects[1]?.message).toMatch(/long\.jsonl:6: /)
  })
})

describe('files that are not JSON lines', () => {
  it('a JSON array or UTF-16 text is refused by name before anything runs, saying how to convert it', async () => {
    const dir = tmp()
    const line = JSON.stringify({ event: 'e', distinct_id: 'u', timestamp: '2024-05-01T00:00:00Z' })
    writeFileSync(path.join(dir, 'array.json'), `[\n  ${line}\n]\n`)
    writeFileSync(path.join(dir, 'wide.jsonl'), Buffer.from(`${line}\n`, 'utf16le'))
    const run = (name: string) =>
      runImport({
        source: jsonl,
        config: { files: [path.join(dir, name)] },
        destination: createFileDestination({ path: path.join(dir, 'out.jsonl') }),
        stateDir: dir,
      })
    await expect(run('array.json')).rejects.toMatchObject({
      kind: 'config',
      message: expect.stringMatching(/array\.json holds a JSON array, not one JSON object per line$/),
      hint: expect.stringContaining("jq -c '.[]'"),
    })
    await expect(run('wide.jsonl')).rejects.toMatchObject({
      message: expect.stringMatching(/wide\.jsonl is UTF-16 text, not UTF-8$/),
    })
  })
})

describe('properties', () => {
  it('merges a top-level $set into properties.$set (the top level wins per key), and reads properties given as JSON text', async () => {
    const dir = tmp()
    const file = path.join(dir, 'props.jsonl')
    const base = { event: 'e', timestamp: '2024-05-01T00:00:00Z' }
    writeFileSync(
      file,
      `${[
        {
          ...base,
          distinct_id: 'a',
          $set: { plan: 'top' },
          properties: { $set: { plan: 'inner', email: 'e@x' } },
        },
        { ...base, distinct_id: 'b', properties: '{"y":2}' },
      ]
        .map((l) => JSON.stringify(l))
        .join('\n')}\n`,
    )
    const out = path.join(dir, 'out.jsonl')
    await runImport({
      source: jsonl,
      config: { files: [file] },
      destination: createFileDestination({ path: out }),
      stateDir: dir,
    })
    const [a, b] = lines<{ properties: Record<string, unknown> }>(out)
    expect(a?.properties.$set).toEqual({ plan: 'top', email: 'e@x' })
    expect(b?.properties.y).toBe(2)
  })
})

describe('Segment-shaped lines', () => {
  it('takes the first id of --distinct-id-key userId,anonymousId: an anonymous event has userId null', async () => {
    const line = (userId: string | null, anonymousId: string) =>
      JSON.stringify({
        event: 'Viewed',
        userId,
        anonymousId,
        timestamp: '2024-05-01T10:00:00Z',
        properties: {},
      })
    const { out } = await importText(
      'segment.jsonl',
      `${line('user-1', 'anon-1')}\n${line(null, 'anon-2')}\n`,
      {
        distinctIdKey: 'userId, anonymousId',
      },
    )
    expect(lines<{ distinct_id: string }>(out).map((e) => e.distinct_id)).toEqual(['user-1', 'anon-2'])
  })
})
