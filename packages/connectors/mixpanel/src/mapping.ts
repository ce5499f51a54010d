/**
 * Default Mixpanel → PostHog mapping tables. They follow PostHog's own importer
 * (rust/batch-import-worker, parse/content/mixpanel.rs) and PostHog's Mixpanel migration guide;
 * users override any rule with a mapping file (renames, drops, constants), applied after these.
 */

/** Event names PostHog has its own name for; every other name is kept. */
/**
 * A table lookup that only sees the table's own entries: a property called `constructor` or `toString`
 * must not be renamed to one of Object.prototype's functions.
 */
export function own(table: Readonly<Record<string, string>>, key: string): string | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined
}

export const EVENT_RENAMES: Readonly<Record<string, string>> = {
  $mp_web_page_view: '$pageview',
}

/** Event properties renamed to PostHog's conventions. */
export const EVENT_PROPERTY_RENAMES: Readonly<Record<string, string>> = {
  // Mixpanel JS page-view properties (docs: tracking-methods/sdks/javascript).
  current_url_path: '$pathname',
  current_domain: '$host',
  current_page_title: 'title',
  // Geo, resolved by Mixpanel at ingestion.
  $city: '$geoip_city_name',
  $region: '$geoip_subdivision_1_name',
  mp_country_code: '$geoip_country_code',
  // Mobile SDK names → PostHog mobile names.
  $app_version_string: '$app_version',
  $app_build_number: '$app_build',
  $manufacturer: '$device_manufacturer',
  $model: '$device_model',
  $carrier: '$network_carrier',
  $wifi: '$network_wifi',
}

/**
 * Mixpanel internals with no meaning in PostHog. `$insert_id` is dropped after it has made the uuid;
 * `time` and `distinct_id` move to the top level.
 */
export const EVENT_PROPERTIES_DROPPED: ReadonlySet<string> = new Set([
  'time',
  'distinct_id',
  '$insert_id',
  'mp_processing_time_ms',
  '$mp_api_endpoint',
  '$mp_api_timestamp_ms',
  '$geo_source',
  '$mp_event_size',
  '$import',
])

/** Reserved Engage profile properties → PostHog person properties. */
export const PROFILE_PROPERTY_RENAMES: Readonly<Record<string, string>> = {
  $email: 'email',
  $name: 'name',
  $first_name: 'first_name',
  $last_name: 'last_name',
  $phone: 'phone',
  $avatar: 'avatar',
  $city: '$geoip_city_name',
  $region: '$geoip_subdivision_1_name',
  $country_code: '$geoip_country_code',
  $timezone: '$geoip_time_zone',
  $created: 'created_at',
  $last_seen: 'mixpanel_last_seen',
}

/** Person properties that never change once set: sent with `$set_once`. */
export const PROFILE_SET_ONCE: ReadonlySet<string> = new Set([
  'created_at',
  '$initial_referrer',
  '$initial_referring_domain',
])

/** Profile properties Mixpanel computes for itself. */
export const PROFILE_PROPERTIES_DROPPED: ReadonlySet<string> = new Set([
  '$distinct_id',
  '$mp_first_event_time',
])

/** Added to every event: which tool and source it came from. */
export const PROVENANCE = {
  $import_source: 'mixpanel',
  // The values above are historical; PostHog must not overwrite them from the importer's own IP.
  $geoip_disable: true,
} as const

const countryNames = new Intl.DisplayNames(['en'], { type: 'region' })
// Intl.DisplayNames.of costs ~1.5 µs, once per event: each code is looked up once (2,704 at most).
const countryNameCache = new Map<string, string | undefined>()

/** `US` → `United States`, as PostHog's importer derives `$geoip_country_name`. */
export function countryName(code: unknown): string | undefined {
  if (typeof code !== 'string' || !/^[A-Za-z]{2}$/.test(code)) return undefined
  if (countryNameCache.has(code)) return countryNameCache.get(code)
  const name = lookUpCountry(code.toUpperCase())
  countryNameCache.set(code, name)
  return name
}

function lookUpCountry(code: string): string | undefined {
  try {
    const name = countryNames.of(code)
    return name && name !== code ? name : undefined
  } catch {
    return undefined
  }
}
