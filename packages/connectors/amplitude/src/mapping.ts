/**
 * Default Amplitude → PostHog tables. They start from PostHog's own managed migration
 * (rust/batch-import-worker, parse/content/amplitude.rs) so results match what PostHog produces, and
 * go further where that importer loses data (sub-second times, user properties, groups, OS vs browser).
 */

export const DEFAULT_EVENT_NAMES: Readonly<Record<string, string>> = {
  '[Amplitude] Page Viewed': '$pageview',
  '[Amplitude] Element Clicked': '$autocapture',
  '[Amplitude] Element Changed': '$autocapture',
}

/** Filtered (counted, not imported) by default: markers of Amplitude's own; PostHog's sessions come from `$session_id`. */
export const DEFAULT_DROPPED_EVENTS: readonly string[] = ['session_start', 'session_end']

/** PostHog autocapture's `$event_type` for the two Amplitude autocapture events. */
export const AUTOCAPTURE_EVENT_TYPE: Readonly<Record<string, string>> = {
  '[Amplitude] Element Clicked': 'click',
  '[Amplitude] Element Changed': 'change',
}

/** event_properties keys renamed to PostHog's; every other key is copied as is. */
export const DEFAULT_EVENT_PROPERTIES: Readonly<Record<string, string>> = {
  '[Amplitude] Page URL': '$current_url',
  '[Amplitude] Page Location': '$current_url',
  '[Amplitude] Page Domain': '$host',
  '[Amplitude] Page Path': '$pathname',
  '[Amplitude] Page Title': 'title',
  '[Amplitude] Viewport Height': '$viewport_height',
  '[Amplitude] Viewport Width': '$viewport_width',
  '[Amplitude] Element Text': '$el_text',
  referrer: '$referrer',
  referring_domain: '$referring_domain',
}

/** user_properties that describe the first touch: `$set_once`, like PostHog's own `$initial_*`. */
export const DEFAULT_INITIAL_USER_PROPERTIES: Readonly<Record<string, string>> = {
  initial_referrer: '$initial_referrer',
  initial_referring_domain: '$initial_referring_domain',
  initial_utm_source: '$initial_utm_source',
  initial_utm_medium: '$initial_utm_medium',
  initial_utm_campaign: '$initial_utm_campaign',
  initial_utm_content: '$initial_utm_content',
  initial_utm_term: '$initial_utm_term',
  initial_gclid: '$initial_gclid',
  initial_fbclid: '$initial_fbclid',
}

/** Top-level Amplitude fields copied as event properties (ids and context PostHog has no slot for). */
export const TOP_LEVEL_PROPERTIES: Readonly<Record<string, string>> = {
  user_id: '$amplitude_user_id',
  device_id: '$amplitude_device_id',
  amplitude_id: '$amplitude_id',
  event_id: '$amplitude_event_id',
  session_id: '$amplitude_session_id',
  $insert_id: '$amplitude_insert_id',
  app: '$amplitude_project_id',
  platform: '$amplitude_platform',
  library: '$amplitude_library',
  version_name: '$app_version',
  start_version: '$amplitude_start_version',
  device_carrier: '$amplitude_carrier',
  language: '$amplitude_language',
  dma: '$amplitude_dma',
  ip_address: '$ip',
  country: '$geoip_country_name',
  city: '$geoip_city_name',
  region: '$geoip_subdivision_1_name',
  location_lat: '$geoip_latitude',
  location_lng: '$geoip_longitude',
}

/** Properties also written to the person with `$set` (PostHog's importer does the same). */
export const PERSON_CONTEXT_PROPERTIES: readonly string[] = [
  '$os',
  '$os_version',
  '$browser',
  '$browser_version',
  '$device_type',
  '$geoip_country_name',
  '$geoip_country_code',
  '$geoip_city_name',
  '$geoip_subdivision_1_name',
]

/** Amplitude's placeholder for "no value" in user properties (PostHog's importer treats it as absent). */
export const EMPTY_VALUE = 'EMPTY'

const MOBILE_OS = new Map([
  ['ios', 'iOS'],
  ['ipados', 'iPadOS'],
  ['android', 'Android'],
])

const text = (raw: Record<string, unknown>, key: string): string | undefined => {
  const v = raw[key]
  return typeof v === 'string' && v !== '' ? v : undefined
}

/**
 * Amplitude's web SDK stores the *browser* in os_name/os_version and the OS in device_type/device_family
 * (which is why PostHog's importer maps os_name → $browser); its mobile SDKs store the real OS there.
 * The platform field tells the two apart. Writes into `out` (the event's properties): this runs per row.
 */
export function deviceProperties(
  raw: Record<string, unknown>,
  out: Record<string, unknown> = {},
): Record<string, unknown> {
  const put = (k: string, v: string | undefined) => {
    if (v !== undefined) out[k] = v
  }
  const osName = text(raw, 'os_name')
  const platform = (text(raw, 'platform') ?? '').toLowerCase()
  const mobileOs = MOBILE_OS.get((osName ?? '').toLowerCase())
  if (platform === 'web' || (!mobileOs && platform !== 'ios' && platform !== 'android')) {
    put('$browser', osName)
    put('$browser_version', text(raw, 'os_version'))
    put('$os', text(raw, 'device_family') ?? text(raw, 'device_type'))
  } else {
    put('$os', mobileOs ?? osName)
    put('$os_version', text(raw, 'os_version'))
    put('$device_model', text(raw, 'device_model') ?? text(raw, 'device_type'))
  }
  put('$device_manufacturer', text(raw, 'device_manufacturer') ?? text(raw, 'device_brand'))
  put(
    '$device_type',
    deviceType(platform, text(raw, 'device_type') ?? text(raw, 'device_family') ?? '', mobileOs),
  )
  return out
}

function deviceType(platform: string, device: string, mobileOs: string | undefined): string | undefined {
  if (/ipad|tablet/i.test(device)) return 'Tablet'
  if (mobileOs || platform === 'ios' || platform === 'android' || /iphone|android|mobile/i.test(device)) {
    return 'Mobile'
  }
  if (platform === 'web' || /windows|mac|linux|chrome os|ubuntu/i.test(device)) return 'Desktop'
  return undefined
}
