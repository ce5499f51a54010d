/**
 * Amplitude gives a country by its English name; PostHog's world map and country breakdowns read
 * `$geoip_country_code` (ISO 3166-1 alpha-2). The names are Intl's (as Amplitude's mostly are), looked up
 * once at load (676 codes, about a millisecond), plus the older names Intl no longer uses.
 */
const ALIASES: Record<string, string> = {
  Turkey: 'TR',
  'Czech Republic': 'CZ',
  Macedonia: 'MK',
  Swaziland: 'SZ',
  'Ivory Coast': 'CI',
  "Côte d'Ivoire": 'CI',
  'Cape Verde': 'CV',
  'Russian Federation': 'RU',
  'Korea, Republic of': 'KR',
  'Republic of Korea': 'KR',
  'Viet Nam': 'VN',
  Burma: 'MM',
  'Hong Kong': 'HK',
  Macao: 'MO',
  Macau: 'MO',
  'United States of America': 'US',
  USA: 'US',
  UK: 'GB',
  'Great Britain': 'GB',
  Holland: 'NL',
  'The Netherlands': 'NL',
  'Palestinian Territory': 'PS',
  'Congo, The Democratic Republic of the': 'CD',
}

/** Codes Intl names that are no country: groupings (EU, UN), unknown (ZZ), private use (Q*, X* but Kosovo). */
const NOT_A_COUNTRY = /^(EU|EZ|UN|ZZ|Q[M-Z]|X[A-JL-Z])$/

/** A withdrawn code (DD, VD, RH) that ICU names after its successor ("Germany"): it is not the code of that name. */
function withdrawn(code: string): boolean {
  try {
    return new Intl.Locale('und', { region: code }).region !== code
  } catch {
    return true
  }
}

/** Names compared without case, and "&" as "and" (ICU writes "Bosnia & Herzegovina", others "and"). */
const normal = (name: string) =>
  name
    .toLowerCase()
    .replace(/\s*&\s*/g, ' and ')
    .replace(/\s+/g, ' ')
    .trim()

function buildTable(): Map<string, string> {
  const names = new Intl.DisplayNames(['en'], { type: 'region' })
  const table = new Map<string, string>()
  const A = 'A'.charCodeAt(0)
  for (let i = 0; i < 26; i++)
    for (let j = 0; j < 26; j++) {
      const code = String.fromCharCode(A + i, A + j)
      if (NOT_A_COUNTRY.test(code) || withdrawn(code)) continue
      let name: string | undefined
      try {
        name = names.of(code)
      } catch {
        continue
      }
      // Unassigned codes come back as themselves; a name already taken keeps its first (assigned) code.
      if (name && name !== code && !table.has(normal(name))) table.set(normal(name), code)
    }
  for (const [name, code] of Object.entries(ALIASES)) table.set(normal(name), code)
  return table
}

let table: Map<string, string> | undefined
/** Names as written, looked up once each: a data set holds a few hundred. */
const seen = new Map<string, string | undefined>()

/** `Germany` → `DE`; undefined for a name that is no country Intl or the aliases know. */
export function countryCode(name: unknown): string | undefined {
  if (typeof name !== 'string' || name === '') return undefined
  if (seen.has(name)) return seen.get(name)
  table ??= buildTable()
  const code = table.get(normal(name))
  if (seen.size < 10_000) seen.set(name, code)
  return code
}
