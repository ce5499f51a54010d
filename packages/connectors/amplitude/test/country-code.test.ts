import { expect, it } from 'vitest'
import { countryCode } from '../src/country-code.js'

it('turns Amplitude country names into ISO codes, older names included, and no grouping or withdrawn code', () => {
  const cases: Array<[string, string | undefined]> = [
    ['Germany', 'DE'],
    ['United States', 'US'],
    ['United Kingdom', 'GB'],
    ['Turkey', 'TR'],
    ['Türkiye', 'TR'],
    ['Czech Republic', 'CZ'],
    ['South Korea', 'KR'],
    ['Russia', 'RU'],
    ['Hong Kong', 'HK'],
    ['Kosovo', 'XK'],
    ['myanmar (burma)', 'MM'],
    // Withdrawn codes ICU names after their successors do not take those names.
    ['Vietnam', 'VN'],
    ['Vanuatu', 'VU'],
    ['Zimbabwe', 'ZW'],
    ['Benin', 'BJ'],
    ['Burkina Faso', 'BF'],
    // ICU writes "&".
    ['Bosnia and Herzegovina', 'BA'],
    ['Trinidad & Tobago', 'TT'],
    ['Trinidad and Tobago', 'TT'],
    ['European Union', undefined],
    ['Unknown Region', undefined],
    ['Atlantis', undefined],
    ['', undefined],
  ]
  for (const [name, code] of cases) expect(countryCode(name), name).toBe(code)
  expect(countryCode(42)).toBeUndefined()
})
