/** Deterministic Mixpanel-shaped data for the fake API: the same seed gives the same rows, always. */

export interface FakeEventRow {
  event: string
  /** Properties as Mixpanel stores them, except `time`: the fake keeps the true instant in `utcMs`. */
  properties: Record<string, unknown>
  utcMs: number
  /** Rows before this instant are not exported yet (Mixpanel's export materialization lags). */
  visibleAt: number
  /** True for a row Mixpanel repeats in raw export (same $insert_id, event, distinct_id, time). */
  duplicate: boolean
}

export interface FakeProfile {
  $distinct_id: string
  $properties: Record<string, unknown>
}

export interface FakeDataOptions {
  /** First and last UTC day with events (inclusive). */
  from: string
  to: string
  eventsPerDay: number | ((day: string) => number)
  users: number
  /** Share of rows Mixpanel repeats in the raw export. */
  duplicateRate: number
  /** Share of rows that become exportable only `lateHours` after they happened. */
  lateRate: number
  lateHours: number
  identityMerge: 'simplified' | 'original'
}

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const CITIES = [
  { $city: 'San Francisco', $region: 'California', mp_country_code: 'US', tz: 'America/Los_Angeles' },
  { $city: 'Berlin', $region: 'Berlin', mp_country_code: 'DE', tz: 'Europe/Berlin' },
  { $city: 'Mumbai', $region: 'Maharashtra', mp_country_code: 'IN', tz: 'Asia/Kolkata' },
  { $city: 'São Paulo', $region: 'São Paulo', mp_country_code: 'BR', tz: 'America/Sao_Paulo' },
] as const
const PATHS = ['/', '/pricing', '/docs/start', '/blog/launch', '/signup']
const TITLES = ['Home', 'Pricing', 'Docs\u2028Start', 'Launch\rpost', 'Sign up']
const CUSTOM = ['Signed Up', 'Purchase', 'Button Clicked', 'Video Played']

function hex(rand: () => number, n: number): string {
  let s = ''
  for (let i = 0; i < n; i++) s += Math.floor(rand() * 16).toString(16)
  return s
}

function uuid4(rand: () => number): string {
  const h = hex(rand, 32)
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`
}

export interface User {
  id: string
  device: string
  city: (typeof CITIES)[number]
  web: boolean
}

export function makeUsers(seed: number, count: number): User[] {
  const rand = mulberry32(seed ^ 0x5eed)
  return Array.from({ length: count }, (_, i) => ({
    id: `user-${i + 1}`,
    device: uuid4(rand),
    city: CITIES[i % CITIES.length] as (typeof CITIES)[number],
    web: rand() < 0.7,
  }))
}

function baseProps(user: User, rand: () => number, utcMs: number): Record<string, unknown> {
  const common = {
    $insert_id: hex(rand, 32),
    mp_processing_time_ms: utcMs + 1000 + Math.floor(rand() * 5000),
    $mp_api_endpoint: 'api.mixpanel.com',
    $mp_api_timestamp_ms: utcMs + 500,
    $city: user.city.$city,
    $region: user.city.$region,
    mp_country_code: user.city.mp_country_code,
    $geo_source: 'reverse_geocoding',
  }
  if (user.web)
    return { ...common, mp_lib: 'web', $lib_version: '2.55.1', $os: 'Mac OS X', $browser: 'Chrome' }
  return {
    ...common,
    mp_lib: 'iphone',
    $lib_version: '4.1.0',
    $os: 'iOS',
    $app_version_string: '3.2',
    $model: 'iPhone14,2',
  }
}

/** Who an event belongs to, and the identity rows Original ID Merge projects export. */
function identity(user: User, rand: () => number, mode: FakeDataOptions['identityMerge']) {
  const anonymous = rand() < 0.3
  if (mode === 'simplified') {
    if (anonymous) return { distinct_id: `$device:${user.device}`, $device_id: user.device }
    if (rand() < 0.15) {
      // A row Mixpanel re-keyed to the user after the merge.
      return {
        distinct_id: user.id,
        $device_id: user.device,
        $distinct_id_before_identity: `$device:${user.device}`,
        $is_reshuffled: true,
      }
    }
    return { distinct_id: user.id, $user_id: user.id, $device_id: user.device }
  }
  return anonymous ? { distinct_id: user.device } : { distinct_id: user.id }
}

function eventOf(user: User, rand: () => number, mode: FakeDataOptions['identityMerge']) {
  const r = rand()
  if (mode === 'original' && r < 0.05) {
    return {
      event: '$identify',
      props: { distinct_id: user.id, $identified_id: user.id, $anon_id: user.device },
    }
  }
  if (mode === 'original' && r < 0.07)
    return { event: '$create_alias', props: { distinct_id: user.device, alias: user.id } }
  if (mode === 'original' && r < 0.08)
    return { event: '$merge', props: { distinct_id: user.id, $distinct_ids: [user.id, user.device] } }
  const who = identity(user, rand, mode)
  if (user.web && r < 0.5) {
    const i = Math.floor(rand() * PATHS.length)
    return {
      event: '$mp_web_page_view',
      props: {
        ...who,
        current_url_path: PATHS[i],
        current_domain: 'example.com',
        current_page_title: TITLES[i],
        current_url_protocol: 'https:',
        current_url_search: i === 0 ? '?utm_source=news' : '',
        $current_url: `https://example.com${PATHS[i]}`,
      },
    }
  }
  const name = CUSTOM[Math.floor(rand() * CUSTOM.length)] as string
  return {
    event: name,
    props: { ...who, ...(name === 'Purchase' ? { amount: Math.round(rand() * 10000) / 100 } : {}) },
  }
}

export function generateEvents(seed: number, o: FakeDataOptions): FakeEventRow[] {
  const users = makeUsers(seed, o.users)
  const rows: FakeEventRow[] = []
  for (
    let day = o.from;
    day <= o.to;
    day = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)
  ) {
    const rand = mulberry32(seed ^ Number(day.replaceAll('-', '')))
    const count = typeof o.eventsPerDay === 'function' ? o.eventsPerDay(day) : o.eventsPerDay
    const dayStart = Date.parse(`${day}T00:00:00Z`)
    for (let i = 0; i < count; i++) {
      const user = users[Math.floor(rand() * users.length)] as User
      const utcMs = dayStart + Math.floor(rand() * 86_400_000)
      const { event, props } = eventOf(user, rand, o.identityMerge)
      const properties: Record<string, unknown> = { ...baseProps(user, rand, utcMs), ...props }
      const visibleAt = rand() < o.lateRate ? utcMs + o.lateHours * 3_600_000 : utcMs
      rows.push({ event, properties, utcMs, visibleAt, duplicate: false })
      if (rand() < o.duplicateRate) {
        const again = {
          ...properties,
          mp_processing_time_ms: (properties.mp_processing_time_ms as number) + 777,
        }
        rows.push({ event, properties: again, utcMs, visibleAt, duplicate: true })
      }
    }
  }
  return rows
}

export function generateProfiles(seed: number, userCount: number, anonymous: number): FakeProfile[] {
  const rand = mulberry32(seed ^ 0x9e0f11e)
  const users = makeUsers(seed, userCount)
  const pad = (n: number) => String(n).padStart(2, '0')
  const stamp = (ms: number) => new Date(ms).toISOString().slice(0, 19)
  const profiles: FakeProfile[] = users.map((u, i) => {
    const created = Date.UTC(2022, 0, 1) + Math.floor(rand() * 365) * 86_400_000 + i * 1000
    return {
      $distinct_id: u.id,
      $properties: {
        $email: `${u.id}@example.com`,
        $name: `User ${i + 1}`,
        $first_name: 'User',
        $last_name: `${i + 1}`,
        $phone: `+1555${pad(i % 100)}${pad((i * 7) % 100)}`,
        $city: u.city.$city,
        $region: u.city.$region,
        $country_code: u.city.mp_country_code,
        $timezone: u.city.tz,
        $created: stamp(created),
        $last_seen: stamp(created + 30 * 86_400_000),
        plan: rand() < 0.3 ? 'pro' : 'free',
      },
    }
  })
  for (let i = 0; i < anonymous; i++) {
    const u = users[i % users.length] as User
    profiles.push({
      $distinct_id: `$device:${u.device}-${i}`,
      $properties: { $last_seen: stamp(Date.UTC(2023, 5, 1)) },
    })
  }
  return profiles
}
