import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'

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

/** Where any form shows up: `<place>: <form>` for each hit. Files are searched as bytes. */
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
      const bytes = await readFile(file)
      for (const f of forms) if (bytes.includes(f)) hits.push(`${file}: ${f}`)
    }
  }
  return hits
}
