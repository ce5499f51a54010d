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

/**
 * Codes Intl names that are no country today: groupings (EU, UN), unknown (ZZ), private use (Q*, X* but
 * Kosovo), and withdrawn codes ICU names after their successor (DD, East Germany, is "Germany").
 */
const NOT_A_COUNTRY = /^(EU|EZ|UN|ZZ|Q[M-Z]|X[A-JL-Z]|AN|BU|CS|DD|FX|NT|SU|TP|YD|YU|ZR)$/

function buildTable(): Map<string, string> {
  const names = new Intl.DisplayNames(['en'], { type: 'region' })
  const table = new Map<string, string>()
  const A = 'A'.charCodeAt(0)
  for (let i = 0; i < 26; i++)
    for (let j = 0; j < 26; j++) {
      const code = String.fromCharCode(A + i, A + j)
      if (NOT_A_COUNTRY.test(code)) continue
      let name: string | undefined
      try {
        name = names.of(code)
      } catch {
        continue
      }
      // Unassigned codes come back as themselves; a name already taken keeps its first (assigned) code.
      if (name && name !== code && !table.has(name.toLowerCase())) table.set(name.toLowerCase(), code)
    }
  for (const [name, code] of Object.entries(ALIASES)) table.set(name.toLowerCase(), code)
  return table
}

let table: Map<string, string> | undefined

/** `Germany` → `DE`; undefined for a name that is no country Intl or the aliases know. */
export function countryCode(name: unknown): string | undefined {
  if (typeof name !== 'string' || name === '') return undefined
  table ??= buildTable()
  return table.get(name.toLowerCase())
}
