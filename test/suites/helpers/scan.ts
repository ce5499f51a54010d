import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { gunzipSync } from 'node:zlib'

/** Every form a secret could leak in: as is, URL-encoded, and inside HTTP Basic auth (base64). */
export function leakForms(secrets: string[], basicPairs: Array<[string, string]>): string[] {
  const forms = new Set<string>()
  for (const s of secrets) {
    forms.add(s)
    forms.add(encodeURIComponent(s))
    forms.add(Buffer.from(s).toString('base64'))
    forms.add(Buffer.from(`${s}:`).toString('base64'))
  }
  for (const [user, pass] of basicPairs) forms.add(Buffer.from(`${user}:${pass}`).toString('base64'))
  return [...forms]
}

export async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(path.join(entry.parentPath, entry.name))
  }
  return out
}

/**
 * A file's bytes as a leak would sit in them: staged exports are gzip (`raw/*.jsonl.gz`), so those are
 * searched inflated too (an unreadable one as it is).
 */
async function searchable(file: string): Promise<Buffer[]> {
  const bytes = await readFile(file)
  if (!file.endsWith('.gz')) return [bytes]
  try {
    return [bytes, gunzipSync(bytes)]
  } catch {
    return [bytes]
  }
}

/** Where any form shows up: `<place>: <form>` for each hit. Files are searched as bytes, gzip inflated. */
export async function findLeaks(
  forms: string[],
  texts: Record<string, string>,
  dirs: string[],
): Promise<string[]> {
  const hits: string[] = []
  for (const [place, text] of Object.entries(texts))
    for (const f of forms) if (text.includes(f)) hits.push(`${place}: ${f}`)
  for (const dir of dirs) {
    for (const file of await filesUnder(dir)) {
      for (const bytes of await searchable(file))
        for (const f of forms) if (bytes.includes(f)) hits.push(`${file}: ${f}`)
    }
  }
  return hits
}
