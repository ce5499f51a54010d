import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream'
import { StringDecoder } from 'node:string_decoder'
import { promisify } from 'node:util'
import { createGunzip } from 'node:zlib'
import yauzl, { type Entry, type ZipFile } from 'yauzl'

const openZip = promisify<string, yauzl.Options, ZipFile>(yauzl.open)

/** `187520_2020-01-25_17#1.json.gz` → [date, hour, part] for ordering; names that don't match sort last. */
function entryOrder(name: string): [string, number, number] {
  const m = /_(\d{4}-\d{2}-\d{2})_(\d{1,2})#(\d+)\.json\.gz$/.exec(name)
  return m ? [m[1] ?? '', Number(m[2]), Number(m[3])] : ['~', 0, 0]
}

function compareEntries(a: Entry, b: Entry): number {
  const [da, ha, pa] = entryOrder(a.fileName)
  const [db, hb, pb] = entryOrder(b.fileName)
  return da.localeCompare(db) || ha - hb || pa - pb || a.fileName.localeCompare(b.fileName)
}

function listEntries(zip: ZipFile): Promise<Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: Entry[] = []
    zip.on('entry', (entry: Entry) => {
      entries.push(entry)
      zip.readEntry()
    })
    zip.once('end', () => resolve(entries))
    zip.once('error', reject)
    zip.readEntry()
  })
}

/** Gunzips one entry and yields its lines; a corrupt or cut gzip stream throws (zlib checks the CRC). */
async function* gzipLines(source: Readable): AsyncGenerator<string> {
  const gunzip = createGunzip()
  // pipeline (not pipe) so an error in the zip entry stream reaches the gunzip stream we iterate.
  pipeline(source, gunzip, () => {})
  const decoder = new StringDecoder('utf8')
  let rest = ''
  for await (const chunk of gunzip as AsyncIterable<Buffer>) {
    const lines = (rest + decoder.write(chunk)).split('\n')
    rest = lines.pop() ?? ''
    for (const line of lines) if (line.trim() !== '') yield line
  }
  rest += decoder.end()
  if (rest.trim() !== '') yield rest
}

/**
 * Every line of every `.json.gz` entry of an Amplitude export zip, whatever its folder or part
 * numbering (real archives use `#0`, the docs show `#1`), in upload-hour then part order. A zip is
 * read from its central directory at the end, so it must be complete on disk: a truncated download
 * fails here, before any line is yielded.
 */
export async function* zipJsonGzLines(zipPath: string): AsyncGenerator<string> {
  const zip = await openZip(zipPath, { lazyEntries: true, autoClose: false })
  try {
    const entries = (await listEntries(zip))
      .filter((e) => e.fileName.endsWith('.json.gz') && !e.fileName.endsWith('/'))
      .sort(compareEntries)
    for (const entry of entries) yield* gzipLines(await zip.openReadStreamPromise(entry))
  } finally {
    zip.close()
  }
}
