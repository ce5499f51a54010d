export interface DateParts {
  year: number
  month: number
  day: number
  hour: number
  minute: number
  second: number
  /** Fraction-of-second digits exactly as written (`5`, `123`, `123456`). */
  fraction: string
  /** Minutes east of UTC when the value carries a zone; undefined → the configured time zone. */
  offsetMinutes: number | undefined
}

type Setter = (parts: DateParts, text: string, state: { pm?: boolean; h12?: boolean }) => boolean

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec']

const num =
  (key: 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second'): Setter =>
  (parts, text) => {
    parts[key] = Number(text)
    return true
  }

/** Tokens, longest first so `YYYY` wins over `YY` and `MMM` over `MM`. Same spelling as dayjs/moment. */
const TOKENS: Array<[string, string, Setter]> = [
  ['YYYY', '(\\d{4})', num('year')],
  [
    'YY',
    '(\\d{2})',
    (p, t) => {
      // Two-digit years pivot like POSIX strptime: 69-99 → 19xx, 00-68 → 20xx.
      p.year = Number(t) + (Number(t) >= 69 ? 1900 : 2000)
      return true
    },
  ],
  [
    'MMM',
    '([A-Za-z]{3,9})',
    (p, t) => {
      const index = MONTHS.indexOf(t.slice(0, 3).toLowerCase())
      p.month = index + 1
      return index >= 0
    },
  ],
  ['MM', '(\\d{2})', num('month')],
  ['M', '(\\d{1,2})', num('month')],
  ['DD', '(\\d{2})', num('day')],
  ['D', '(\\d{1,2})', num('day')],
  ['HH', '(\\d{2})', num('hour')],
  ['H', '(\\d{1,2})', num('hour')],
  [
    'hh',
    '(\\d{2})',
    (p, t, s) => {
      p.hour = Number(t)
      s.h12 = true
      return p.hour >= 1 && p.hour <= 12
    },
  ],
  [
    'h',
    '(\\d{1,2})',
    (p, t, s) => {
      p.hour = Number(t)
      s.h12 = true
      return p.hour >= 1 && p.hour <= 12
    },
  ],
  ['mm', '(\\d{2})', num('minute')],
  ['ss', '(\\d{2})', num('second')],
  [
    'A',
    '(AM|PM|am|pm)',
    (_p, t, s) => {
      s.pm = t.toLowerCase() === 'pm'
      return true
    },
  ],
  [
    'Z',
    '(Z|UTC|[+-]\\d{2}(?::?\\d{2})?)',
    (p, t) => {
      p.offsetMinutes = parseOffset(t)
      return p.offsetMinutes !== undefined
    },
  ],
]

/** `Z`, `UTC`, `+05`, `+0530`, `-05:30` → minutes east of UTC; undefined for none or a malformed one. */
export function parseOffset(zone: string): number | undefined {
  if (/^(z|utc|gmt)$/i.test(zone)) return 0
  const m = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)
  if (!m) return undefined
  const minutes = Number(m[2]) * 60 + Number(m[3] ?? 0)
  if (Number(m[2]) > 14 || Number(m[3] ?? 0) > 59) return undefined
  return m[1] === '-' ? -minutes : minutes
}

/**
 * Why a format cannot be right, or undefined: a letter outside `[literal text]` that starts no token (but
 * ISO's `T`) would be matched as itself, and every row then rejected; so would a format with no date in it.
 * `QQ-YYYY` is refused up front instead.
 */
export function formatProblem(format: string): string | undefined {
  for (let i = 0; i < format.length; ) {
    if (format[i] === '[') {
      const close = format.indexOf(']', i)
      if (close < 0) return `the [ at position ${i + 1} is never closed`
      i = close + 1
      continue
    }
    const token = format[i] === 'S' ? 'S' : TOKENS.find(([name]) => format.startsWith(name, i))?.[0]
    if (token) i += token.length
    // `T` stays literal, as ISO 8601 writes it between date and time (YYYY-MM-DDTHH:mm).
    else if (/[A-SU-Za-z]/.test(format[i] as string))
      return `"${format[i]}" at position ${i + 1} is no token (tokens: YYYY YY MMM MM M DD D HH H hh h mm ss S… A Z); put literal text in [brackets]`
    else i++
  }
  const bare = format.replace(/\[[^\]]*\]/g, '')
  if (!bare.includes('YY') || !bare.includes('M') || !bare.includes('D'))
    return 'it needs a year (YYYY or YY), a month (MMM, MM or M) and a day (DD or D)'
  return undefined
}

export type FormatParser = (value: string) => DateParts | undefined

const compiled = new Map<string, FormatParser>()

/**
 * `DD/MM/YYYY HH:mm:ss.SSS`, `MM/DD/YY h:mm A`, `DD-MMM-YYYY`, `YYYYMMDDHHmmss Z`: a format → a parser.
 * A run of `S` is the fraction (any 1-9 digits, kept as written); `[text]` is literal text.
 */
export function compileFormat(format: string): FormatParser {
  const cached = compiled.get(format)
  if (cached) return cached
  let pattern = ''
  const setters: Setter[] = []
  for (let i = 0; i < format.length; ) {
    if (format[i] === '[') {
      const close = format.indexOf(']', i)
      const literal = close < 0 ? format.slice(i + 1) : format.slice(i + 1, close)
      pattern += escapeRegExp(literal)
      i = close < 0 ? format.length : close + 1
      continue
    }
    if (format[i] === 'S') {
      let j = i
      while (format[j] === 'S') j++
      pattern += '(\\d{1,9})'
      setters.push((p, t) => {
        p.fraction = t
        return true
      })
      i = j
      continue
    }
    const token = TOKENS.find(([name]) => format.startsWith(name, i))
    if (token) {
      pattern += token[1]
      setters.push(token[2])
      i += token[0].length
      continue
    }
    pattern += escapeRegExp(format[i]!)
    i++
  }
  const re = new RegExp(`^${pattern}$`)
  const parser: FormatParser = (value) => {
    const m = re.exec(value)
    if (!m) return undefined
    const parts: DateParts = {
      year: 1970,
      month: 1,
      day: 1,
      hour: 0,
      minute: 0,
      second: 0,
      fraction: '',
      offsetMinutes: undefined,
    }
    const state: { pm?: boolean; h12?: boolean } = {}
    for (let k = 0; k < setters.length; k++) {
      if (!setters[k]!(parts, m[k + 1] ?? '', state)) return undefined
    }
    if (state.h12) parts.hour = (parts.hour % 12) + (state.pm ? 12 : 0)
    else if (state.pm && parts.hour < 12) parts.hour += 12
    return parts
  }
  compiled.set(format, parser)
  return parser
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
