/** A run of 16 digits: below that every integer is exact in a double, so most lines skip the scan. */
const LONG_DIGITS = /\d{16}/

/**
 * `text` with every integer literal beyond 2^53 written as a string, so `JSON.parse` keeps its digits:
 * a warehouse's INT64 ids (9007199254740993 and 9007199254740992) would otherwise both become
 * 9007199254740992, merging two users into one. Strings in the text are left as they are; a number with a
 * fraction or exponent is a measurement, and stays a number.
 */
export function quoteUnsafeIntegers(text: string): string {
  if (!LONG_DIGITS.test(text)) return text
  let out = ''
  let copied = 0
  let i = 0
  while (i < text.length) {
    const c = text.charCodeAt(i)
    if (c === 0x22) {
      // Skip a string literal, escapes included.
      i++
      while (i < text.length && text.charCodeAt(i) !== 0x22) i += text.charCodeAt(i) === 0x5c ? 2 : 1
      i++
      continue
    }
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      const start = i
      i++
      while (i < text.length && /[0-9.eE+-]/.test(text[i] as string)) i++
      const literal = text.slice(start, i)
      if (/^-?\d{16,}$/.test(literal) && !Number.isSafeInteger(Number(literal))) {
        out += `${text.slice(copied, start)}"${literal}"`
        copied = i
      }
      continue
    }
    i++
  }
  return copied === 0 ? text : out + text.slice(copied)
}
