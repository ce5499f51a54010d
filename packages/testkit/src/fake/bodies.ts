import { gzipSync } from 'node:zlib'
import yazl from 'yazl'

/** The first `fraction` of a body: what a client holds when a download stops early. */
export function truncateBody(body: Buffer, fraction = 0.5): Buffer {
  return body.subarray(0, Math.max(1, Math.floor(body.length * fraction)))
}

/** A gzip stream cut before its trailer: gunzip fails with "unexpected end of file". */
export function truncatedGzip(content: string | Buffer, fraction = 0.5): Buffer {
  return truncateBody(gzipSync(content), fraction)
}

/** Builds a zip archive in memory (entries stored in order). */
export async function zipBuffer(entries: ReadonlyArray<{ name: string; content: string | Buffer }>) {
  const zip = new yazl.ZipFile()
  for (const e of entries)
    zip.addBuffer(Buffer.isBuffer(e.content) ? e.content : Buffer.from(e.content), e.name)
  zip.end()
  const chunks: Buffer[] = []
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** A zip without its central directory (cut in half): unzip refuses it, as with a dropped download. */
export async function truncatedZip(
  entries: ReadonlyArray<{ name: string; content: string | Buffer }>,
  fraction = 0.5,
): Promise<Buffer> {
  return truncateBody(await zipBuffer(entries), fraction)
}
