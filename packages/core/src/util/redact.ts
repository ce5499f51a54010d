const MASK = '***'

/**
 * Replaces every occurrence of the given secrets (and their Basic-auth base64 forms, which end up in
 * headers and error dumps) with ***. Applied to every log line, error message and report string.
 */
export function createRedactor(secrets: readonly string[]): (text: string) => string {
  const needles = new Set<string>()
  for (const s of secrets) {
    if (s.length < 4) continue
    needles.add(s)
    needles.add(encodeURIComponent(s))
    needles.add(Buffer.from(s).toString('base64'))
  }
  // Basic auth encodes "user:secret" together; catch those header values as a whole too.
  for (const a of secrets) {
    for (const b of secrets) {
      if (a.length >= 4 || b.length >= 4) {
        needles.add(Buffer.from(`${a}:${b}`).toString('base64'))
        needles.add(Buffer.from(`${a}:`).toString('base64'))
      }
    }
  }
  const sorted = [...needles].sort((x, y) => y.length - x.length)
  if (sorted.length === 0) return (text) => text
  return (text) => {
    let out = text
    for (const n of sorted) if (out.includes(n)) out = out.split(n).join(MASK)
    return out
  }
}
