import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { HEADER, importCsv, importFiles, writeFiles } from './helpers.js'

const T = '2024-01-01T00:00:00Z'

describe('parsing real-world CSV', () => {
  it('strips a UTF-8 BOM so the first column name is intact', async () => {
    const { events, rejects } = await importCsv(`\uFEFF${HEADER},plan\nsignup,u1,${T},pro\n`)
    expect(rejects).toEqual([])
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({ event: 'signup', distinct_id: 'u1', properties: { plan: 'pro' } })
  })

  it('reads CRLF line endings and keeps CRLF inside quoted values', async () => {
    const text = `${HEADER},note\r\na,u1,${T},"one\r\ntwo"\r\nb,u2,${T},x\r\nc,,${T},y\r\n`
    const { events, rejects } = await importCsv(text)
    expect(events.map((e) => e.event)).toEqual(['a', 'b'])
    expect(events[0]!.properties.note).toBe('one\r\ntwo')
    expect(events[1]!.properties.note).toBe('x')
    // Line numbers stay physical after a quoted CRLF (csv-parse alone would say 5).
    expect(rejects[0]!.message).toContain('line 5')
  })

  it('keeps embedded newlines, delimiters and doubled quotes inside quoted values', async () => {
    const text = `${HEADER},title\na,u1,${T},"He said ""hi"", then\nleft"\nb,u2,${T},plain\n`
    const { events } = await importCsv(text)
    expect(events[0]!.properties.title).toBe('He said "hi", then\nleft')
    expect(events[1]!.properties.title).toBe('plain')
  })

  it('keeps stray quotes in unquoted values literally instead of losing the rest of the file', async () => {
    const text = `${HEADER},size\na,u1,${T},5" screen\nb,u2,${T},"x"y\nc,u3,${T},ok\n`
    const { events, rejects } = await importCsv(text)
    expect(rejects).toEqual([])
    expect(events.map((e) => e.properties.size)).toEqual(['5" screen', '"x"y', 'ok'])
  })

  it('detects ; and tab delimiters from the header line', async () => {
    const semi = await importCsv(`event;distinct_id;timestamp;price\na;u1;${T};3,50\n`)
    expect(semi.events[0]!.properties.price).toBe('3,50')
    const tab = await importCsv(`event\tdistinct_id\ttimestamp\tname\na\tu1\t${T}\tx, y\n`)
    expect(tab.events[0]!.properties.name).toBe('x, y')
  })

  it('reads .tsv files as tab-separated and honours an explicit delimiter', async () => {
    const tsv = await importCsv(`event\tdistinct_id\ttimestamp\na\tu1\t${T}\n`, {}, 'data.tsv')
    expect(tsv.events).toHaveLength(1)
    const pipe = await importCsv(`event|distinct_id|timestamp|v\na|u1|${T}|1,2\n`, { delimiter: 'pipe' })
    expect(pipe.events[0]!.properties.v).toBe('1,2')
    const tab = await importCsv(`event\tdistinct_id\ttimestamp\na\tu1\t${T}\n`, { delimiter: 'tab' })
    expect(tab.events).toHaveLength(1)
  })

  it('reads gzipped files (.csv.gz and .tsv.gz), detected by their magic bytes', async () => {
    const dir = writeFiles({
      'a.csv.gz': `${HEADER},n\nx,u1,${T},1\ny,u2,${T},2\n`,
      'b.tsv.gz': `event\tdistinct_id\ttimestamp\nz\tu3\t${T}\n`,
    })
    const { events } = await importFiles(dir, { files: ['*.gz'] })
    expect(events.map((e) => e.event)).toEqual(['x', 'y', 'z'])
  })

  it('a gzip file cut short fails naming the file, whether the cut is in its header or far into its rows', async () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => `e${i % 7},u${i},${T}`).join('\n')
    const whole = gzipSync(`${HEADER}\n${rows}\n`)
    for (const [name, bytes] of [
      ['head.csv.gz', whole.subarray(0, 20)],
      ['tail.csv.gz', whole.subarray(0, Math.floor(whole.length * 0.8))],
    ] as const) {
      const dir = writeFiles({})
      writeFileSync(path.join(dir, name), bytes)
      const { result } = await importFiles(dir, { files: [name] }).catch((error: Error) => ({
        result: { status: 'threw', report: { error } },
      }))
      const error = result.report.error as { message: string; hint?: string } | undefined
      expect(error?.message).toMatch(
        new RegExp(
          `${name.replace('.', '\\.')}: the gzip data is cut short or corrupt \\(unexpected end of file\\)`,
        ),
      )
      expect(error?.hint).toMatch(/gzip -t/)
    }
  })

  it('expands globs (*, **, ?) into one partition per file, in path order', async () => {
    const dir = writeFiles({ 'a1.csv': `${HEADER}\na,u1,${T}\n`, 'b2.csv': `${HEADER}\nb,u2,${T}\n` })
    const { result, events } = await importFiles(dir, { files: ['?1.csv', '**/b*.csv'] })
    expect(result.report.perPartition.map((p) => p.key.split('/').pop())).toEqual(['a1.csv', 'b2.csv'])
    expect(events.map((e) => e.event)).toEqual(['a', 'b'])
  })

  it('leaves out the columns a short row lacks, and warns', async () => {
    const text = `${HEADER},plan,seats\nb,u2,${T},free,3\na,u1,${T},pro\nc,u3,${T}\n`
    const { events, result } = await importCsv(text)
    expect(events[1]!.properties).not.toHaveProperty('seats')
    expect(events[1]!.properties.plan).toBe('pro')
    expect(result.report.warnings.join('\n')).toContain(
      '2 row(s) had fewer values than the header (the first on line 3); the missing columns were left out (--strict-columns',
    )
  })

  it('rejects short rows with strictColumns, and rows with extra values always', async () => {
    const text = `${HEADER},plan\na,u1,${T}\nb,u2,${T},pro,surplus\nc,u3,${T},ok,\n`
    const strict = await importCsv(text, { strictColumns: true })
    expect(strict.rejects.map((r) => [r.code, r.record.line])).toEqual([
      ['ragged_row', 2],
      ['ragged_row', 3],
    ])
    // A trailing delimiter (`ok,`) is not extra data.
    expect(strict.events.map((e) => e.event)).toEqual(['c'])
    expect(strict.rejects[1]!.message).toContain('5 values for 4 columns')
  })

  it('tells an empty cell from a missing one; emptyValues decides what an empty cell becomes', async () => {
    const text = `${HEADER},a,b\nx,u1,${T},,""\ny,u2,${T},1\n`
    const omit = await importCsv(text)
    expect(omit.events[0]!.properties).not.toHaveProperty('a')
    const asNull = await importCsv(text, { emptyValues: 'null' })
    expect(asNull.events[0]!.properties).toMatchObject({ a: null, b: null })
    // Row 2 is short: `b` is missing, not empty, so it stays absent in every mode.
    expect(asNull.events[1]!.properties).not.toHaveProperty('b')
    const keep = await importCsv(text, { emptyValues: 'keep' })
    expect(keep.events[0]!.properties).toMatchObject({ a: '', b: '' })
    expect(keep.events[1]!.properties).not.toHaveProperty('b')
  })

  it('skips blank lines without shifting line numbers', async () => {
    const text = `${HEADER}\n\na,u1,${T}\n\n\nb,,${T}\n`
    const { events, rejects } = await importCsv(text)
    expect(events).toHaveLength(1)
    expect(rejects.map((r) => r.record.line)).toEqual([6])
  })

  it('dead-letters a quote that is never closed with its line, keeping the rows before it', async () => {
    const text = `${HEADER},note\na,u1,${T},fine\nb,u2,${T},"never closed\nc,u3,${T},lost\n`
    const { events, rejects } = await importCsv(text)
    expect(events.map((e) => e.event)).toEqual(['a'])
    expect(rejects).toHaveLength(1)
    expect(rejects[0]).toMatchObject({ code: 'unclosed_quote', record: { line: 3 } })
    expect(rejects[0]!.message).toContain('data.csv line 3')
  })

  it('says how many lines a quote that is never closed swallowed', async () => {
    const text = `${HEADER},note\na,u1,${T},fine\nb,u2,${T},"never closed\nc,u3,${T},lost\nd,u4,${T},lost\n`
    const { rejects } = await importCsv(text)
    expect(rejects[0]!.message).toMatch(
      /line 3: a quoted value opened on line 3 is never closed: the 2 line\(s\) after it, to the end of the file, were read into that value and none of them imported/,
    )
  })

  it('warns, naming the line, when a quoted value running over lines holds whole rows (a stray quote)', async () => {
    const text = `${HEADER},size,note\nbuy,u1,${T},"12 inch,ok\nbuy,u2,${T},"15",fine\nbuy,u3,${T},17,ok\n`
    const { events, result } = await importCsv(text)
    // Read as the quoting says (u2's row is inside u1's value), but not silently.
    expect(events.map((e) => e.distinct_id)).toEqual(['u1', 'u3'])
    expect(result.report.warnings.join('\n')).toMatch(
      /data\.csv: 1 row\(s\) hold a quoted value running over lines that look like whole rows \(the first on line 2\)/,
    )
    const multiline = await importCsv(`${HEADER},note\na,u1,${T},"two\nlines"\n`)
    expect(multiline.result.report.warnings.join('\n')).not.toMatch(/whole rows/)
  })

  it('dead-letters a short last line without a line end (a file still being written), not a cut event', async () => {
    const cut = await importCsv(`${HEADER},url\na,u1,${T},https://example.com/a\nb,u2,${T}`)
    expect(cut.events.map((e) => e.distinct_id)).toEqual(['u1'])
    expect(cut.rejects[0]).toMatchObject({ code: 'incomplete_last_row', record: { line: 3 } })
    expect(cut.rejects[0]!.message).toMatch(/the last line has 3 of 4 values and no line end/)
    // With its line end, a short row is the file's own: imported, with the short-row warning.
    const short = await importCsv(`${HEADER},url\na,u1,${T},https://example.com/a\nb,u2,${T}\n`)
    expect(short.events.map((e) => e.distinct_id)).toEqual(['u1', 'u2'])
    // A complete last line without a line end is fine.
    const whole = await importCsv(`${HEADER},url\na,u1,${T},https://example.com/a`)
    expect(whole.events).toHaveLength(1)
    // In a file whose rows are short by design, a short last line without its line end is like the others.
    const ragged = await importCsv(`${HEADER},url\na,u1,${T}\nb,u2,${T}`)
    expect(ragged.events.map((e) => e.distinct_id)).toEqual(['u1', 'u2'])
  })

  it('stops the file with a clear error when a row outgrows maxRowBytes', async () => {
    const text = `${HEADER},note\na,u1,${T},"${'x'.repeat(5000)}\n`
    const { result } = await importCsv(text, { maxRowBytes: 2048 })
    expect(result.status).toBe('failed')
    expect(JSON.stringify(result.report)).toContain('larger than 2048 bytes')
  })

  it('reads headerless files with the given column names', async () => {
    const { events } = await importCsv(`a,u1,${T},x\nb,u2,${T},y\n`, {
      columns: 'event,distinct_id,timestamp,tag',
    })
    expect(events.map((e) => [e.event, e.properties.tag])).toEqual([
      ['a', 'x'],
      ['b', 'y'],
    ])
  })

  it('names blank and repeated header columns apart instead of overwriting', async () => {
    const { events, result } = await importCsv(`${HEADER},x,x,\na,u1,${T},1,2,3\n`)
    expect(events[0]!.properties).toMatchObject({ x: '1', x_2: '2', column_6: '3' })
    expect(result.report.warnings.join('\n')).toContain('header names changed')
  })

  it('fails before importing anything when a mapped column is not in the header', async () => {
    await expect(importCsv(`name,user,time\na,u1,${T}\n`)).rejects.toThrow(
      /has no column "event", "distinct_id", "timestamp"/,
    )
    await expect(importCsv(`name,user,time\na,u1,${T}\n`, { distinctIdColumn: 'user' })).rejects.toThrow(
      /its columns are: name, user, time/,
    )
  })

  it('refuses a UTF-16 file (Excel "Unicode Text") by name, with or without its byte-order mark', async () => {
    const text = `${HEADER}\na,u1,${T}\n`
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])
    await expect(importCsv(le)).rejects.toThrow(/data\.csv is UTF-16 LE text, not UTF-8$/)
    await expect(importCsv(Buffer.from(text, 'utf16le'))).rejects.toMatchObject({
      message: expect.stringMatching(/data\.csv is UTF-16 LE text, not UTF-8$/),
      hint: expect.stringContaining('iconv -f UTF-16 -t UTF-8'),
    })
  })

  it('refuses Windows-1252 text read as UTF-8 by name, and reads it with --encoding windows-1252', async () => {
    // What Excel saves as "CSV" on Windows: é, ü and € are one byte each.
    const latin = (text: string) =>
      Buffer.from([...text].map((c) => ({ é: 0xe9, ü: 0xfc, '€': 0x80 })[c] ?? c.charCodeAt(0)))
    const text = `${HEADER},city,price\nsignup,René,${T},Zürich,5 €\nsignup,"Zoé ""Z""",${T},Genève,7 €\n`
    await expect(importCsv(latin(text))).rejects.toMatchObject({
      message: expect.stringMatching(/data\.csv is not UTF-8: its accented letters are single bytes/),
      hint: expect.stringContaining('--encoding windows-1252'),
    })
    const { events, result } = await importCsv(latin(text), { encoding: 'windows-1252' })
    expect(result.report.records).toMatchObject({ read: 2, rejected: 0 })
    expect(events.map((e) => [e.distinct_id, e.properties.city, e.properties.price])).toEqual([
      ['René', 'Zürich', '5 €'],
      ['Zoé "Z"', 'Genève', '7 €'],
    ])
    // UTF-8 with one broken byte is UTF-8: that row is dead-lettered, the others imported.
    const mixed = Buffer.concat([
      Buffer.from(`${HEADER},city\na,Zoë,${T},Köln\nb,u2,${T},`),
      Buffer.from([0xe9, 0x0a]),
    ])
    const broken = await importCsv(mixed)
    expect(broken.result.report.rejectsByCode).toEqual({ invalid_utf8: 1 })
    // So is an ASCII file with a row of binary garbage (control bytes, runs of high bytes): not Latin-1.
    const garbage = Buffer.concat([
      Buffer.from(`${HEADER}\na,u1,${T}\n`),
      Buffer.from([0x00, 0x9c, 0xff, 0x80, 0x0a]),
    ])
    expect((await importCsv(garbage)).result.report.rejectsByCode).toEqual({ invalid_utf8: 1 })
  })

  it('refuses --encoding windows-1252 for a file that is UTF-8, which it would garble', async () => {
    await expect(
      importCsv(`${HEADER},city\na,René,${T},Zürich\n`, { encoding: 'windows-1252' }),
    ).rejects.toMatchObject({
      message: expect.stringMatching(
        /data\.csv is UTF-8 text: read as windows-1252, its accented letters would be garbled/,
      ),
      hint: expect.stringContaining('leave out --encoding windows-1252'),
    })
  })

  it('takes Portuguese and German accents side by side ("ção", "üß") for Windows-1252 too', async () => {
    const latin = (text: string) =>
      Buffer.from([...text].map((c) => ({ ç: 0xe7, ã: 0xe3, ü: 0xfc, ß: 0xdf })[c] ?? c.charCodeAt(0)))
    await expect(importCsv(latin(`${HEADER},note\na,u1,${T},ação\nb,u2,${T},Müßig\n`))).rejects.toThrow(
      /is not UTF-8: its accented letters are single bytes/,
    )
  })

  it('warns about an empty file and a file without rows', async () => {
    const dir = writeFiles({ 'empty.csv': '', 'header-only.csv': `${HEADER}\n` })
    const { result, events } = await importFiles(dir, { files: ['*.csv'] })
    expect(result.status).toBe('done')
    expect(events).toEqual([])
    expect(result.report.warnings.join('\n')).toContain('empty.csv is empty')
  })
})
