import type { RawAmplitudeEvent } from './schema.js'

/** A generated export row; `server_upload_time` decides which export window serves it. */
export type FakeAmplitudeRow = RawAmplitudeEvent & {
  server_upload_time: string
  uuid: string
  event_time: string
  event_type: string
}

export interface FakeDataOptions {
  /** Same seed, same rows. Default 1. */
  seed?: number
  /** The `app` field and the zip folder name. Default 187520 (the docs' example project). */
  projectId?: number
  /** Upload-time range of the data set, ISO (start inclusive, end exclusive). */
  start: string
  end: string
  /** Ordinary events (identify rows come on top). Default 500. */
  events?: number
  /** Distinct people. Default events / 20, at least 5. */
  users?: number
  /** Share of events uploaded 1..lateDays days after they happened. Default 0.05. */
  lateRate?: number
  lateDays?: number
}

function mulberry32(seed: number) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Amplitude's export time format: `YYYY-MM-DD HH:MM:SS.ffffff`, UTC, no zone. */
export function amplitudeTime(ms: number, micros = 0): string {
  const iso = new Date(ms).toISOString()
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}${String(micros).padStart(3, '0')}`
}

const EVENT_TYPES: Array<[string, number]> = [
  ['[Amplitude] Page Viewed', 35],
  ['[Amplitude] Element Clicked', 12],
  ['[Amplitude] Element Changed', 4],
  ['session_start', 8],
  ['session_end', 6],
  ['Search', 12],
  ['Add To Cart', 10],
  ['Purchase', 8],
  ['Sign Up', 5],
]
const PLACES = [
  ['United States', 'San Francisco', 'California'],
  ['Germany', 'Berlin', 'Berlin'],
  ['United Kingdom', 'London', 'England'],
  ['Brazil', 'São Paulo', 'Sao Paulo'],
] as const
const PLATFORMS = [
  {
    platform: 'Web',
    os_name: 'Chrome',
    os_version: '120',
    device_type: 'Mac OS X',
    device_family: 'Mac OS X',
  },
  {
    platform: 'Web',
    os_name: 'Firefox',
    os_version: '121',
    device_type: 'Windows',
    device_family: 'Windows',
  },
  {
    platform: 'iOS',
    os_name: 'ios',
    os_version: '17.2',
    device_type: 'Apple iPhone 14',
    device_family: 'Apple iPhone',
    device_manufacturer: 'Apple',
    device_model: 'iPhone15,2',
    device_carrier: 'Verizon',
  },
  {
    platform: 'Android',
    os_name: 'android',
    os_version: '14',
    device_type: 'Pixel 8',
    device_family: 'Google Phone',
    device_manufacturer: 'Google',
    device_model: 'Pixel 8',
  },
]

function weightedPick(choices: ReadonlyArray<[string, number]>, at: number): string {
  let left = at
  for (const [name, weight] of choices) {
    left -= weight
    if (left < 0) return name
  }
  return choices.at(-1)?.[0] ?? ''
}

/** Deterministic, realistic Amplitude export rows, sorted by upload time. */
export function generateAmplitudeRows(options: FakeDataOptions): FakeAmplitudeRow[] {
  const rng = mulberry32(options.seed ?? 1)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)] as T
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(rng() * 16).toString(16)).join('')
  const uuid4 = () => `${hex(8)}-${hex(4)}-4${hex(3)}-${pick(['8', '9', 'a', 'b'])}${hex(3)}-${hex(12)}`
  const app = options.projectId ?? 187520
  const from = Date.parse(options.start)
  const to = Date.parse(options.end)
  const count = options.events ?? 500
  const lateRate = options.lateRate ?? 0.05
  const lateDays = options.lateDays ?? 5
  const users = Array.from({ length: options.users ?? Math.max(5, Math.floor(count / 20)) }, (_, i) => {
    const registered = rng() < 0.75
    const place = pick(PLACES)
    const devices = Array.from({ length: rng() < 0.3 ? 2 : 1 }, (_, d) => ({
      // A few real device ids end in R (Amplitude-ReactNative#136): ids are opaque strings.
      id: `${uuid4().toUpperCase()}${rng() < 0.1 ? 'R' : ''}`,
      loginAt: from + rng() * (to - from),
      // The second device was its own anonymous amplitude_id until the user logged in there (merged).
      amplitudeId: 100_000_000 + i * 10 + d,
      env: pick(PLATFORMS),
    }))
    const company = rng() < 0.4 ? `acme-${i % 7}` : undefined
    return {
      i,
      userId: registered ? `user_${String(i).padStart(4, '0')}` : undefined,
      place,
      devices,
      company,
    }
  })
  const rows: FakeAmplitudeRow[] = []
  let eventId = 1
  const row = (upload: number, eventTime: number, type: string, u: (typeof users)[number], d: number) => {
    const device = u.devices[d] ?? u.devices[0]!
    const loggedIn = u.userId !== undefined && eventTime >= device.loginAt
    const received = upload - Math.floor(rng() * 2000)
    const pagePath = pick(['/', '/pricing', '/docs/start', '/blog/launch'])
    const props: Record<string, unknown> = {}
    if (type.startsWith('[Amplitude] Page') || type.startsWith('[Amplitude] Element')) {
      Object.assign(props, {
        '[Amplitude] Page URL': `https://example.com${pagePath}?ref=x`,
        '[Amplitude] Page Domain': 'example.com',
        '[Amplitude] Page Path': pagePath,
        '[Amplitude] Page Title': `Example ${pagePath}`,
        '[Amplitude] Viewport Width': 1440,
        '[Amplitude] Viewport Height': 900,
        referrer: 'https://www.google.com/',
        referring_domain: 'www.google.com',
      })
    }
    if (type.startsWith('[Amplitude] Element'))
      props['[Amplitude] Element Text'] = pick(['Buy', 'Sign up', 'Docs'])
    if (type === 'Purchase')
      Object.assign(props, { revenue: Math.round(rng() * 10_000) / 100, currency: 'USD' })
    if (type === 'Search') props.query = pick(['pricing', 'api', 'sdk'])
    const group = loggedIn && u.company ? u.company : undefined
    const micros = Math.floor(rng() * 1000)
    const r: FakeAmplitudeRow = {
      $insert_id: uuid4(),
      $schema: 12,
      adid: null,
      amplitude_attribution_ids: null,
      amplitude_event_type: null,
      amplitude_id: loggedIn ? (u.devices[0]?.amplitudeId ?? 0) : device.amplitudeId,
      app,
      city: u.place[1],
      client_event_time: amplitudeTime(eventTime - 350, micros),
      client_upload_time: amplitudeTime(received - 350),
      country: u.place[0],
      data: {
        first_event: eventId === 1,
        ...(loggedIn && d > 0 ? { merged_amplitude_id: device.amplitudeId } : {}),
      },
      device_id: device.id,
      dma: u.place[0] === 'United States' ? 'San Francisco-Oakland-San Jose, CA' : null,
      event_id: eventId++,
      event_properties: props,
      event_time: amplitudeTime(eventTime, micros),
      event_type: type,
      group_properties: group
        ? {
            company: {
              [group]: { name: `Acme ${u.i % 7}`, plan: eventTime < (from + to) / 2 ? 'free' : 'pro' },
            },
          }
        : {},
      groups: group ? { company: [group] } : {},
      idfa: null,
      ip_address: `203.0.113.${(u.i % 250) + 1}`,
      is_attribution_event: false,
      language: 'English',
      library: device.env.platform === 'Web' ? 'amplitude-ts/2.5.0' : 'amplitude-swift/1.4.0',
      location_lat: null,
      location_lng: null,
      paying: type === 'Purchase' ? true : null,
      processed_time: amplitudeTime(upload + 1500),
      region: u.place[2],
      sample_rate: null,
      server_received_time: amplitudeTime(received),
      server_upload_time: amplitudeTime(upload),
      session_id: Math.floor(eventTime / 1_800_000) * 1_800_000,
      start_version: null,
      user_creation_time: null,
      user_id: loggedIn ? (u.userId ?? null) : null,
      user_properties: {
        plan: loggedIn ? pick(['free', 'pro']) : 'EMPTY',
        initial_utm_source: d === 0 ? 'google' : 'EMPTY',
        initial_referrer: 'https://www.google.com/',
        initial_utm_campaign: 'EMPTY',
      },
      uuid: uuid4(),
      version_name: device.env.platform === 'Web' ? null : '3.2.1',
      ...device.env,
    }
    rows.push(r)
  }
  const totalWeight = EVENT_TYPES.reduce((s, [, w]) => s + w, 0)
  for (let n = 0; n < count; n++) {
    const type = weightedPick(EVENT_TYPES, rng() * totalWeight)
    const upload = from + Math.floor(rng() * (to - from))
    const late = rng() < lateRate
    const eventTime = late
      ? upload - (1 + Math.floor(rng() * lateDays)) * 86_400_000 - Math.floor(rng() * 3_600_000)
      : upload - Math.floor(rng() * 60_000)
    const u = pick(users)
    row(upload, eventTime, type, u, Math.floor(rng() * u.devices.length))
  }
  // The SDK's identify call at login: Amplitude exports it as a `$identify` row.
  for (const u of users) {
    if (!u.userId) continue
    u.devices.forEach((device, d) => {
      if (device.loginAt < from || device.loginAt >= to) return
      row(Math.min(to - 1, device.loginAt + 5000), device.loginAt, '$identify', u, d)
    })
  }
  return rows.sort(
    (a, b) =>
      a.server_upload_time.localeCompare(b.server_upload_time) || (a.event_id ?? 0) - (b.event_id ?? 0),
  )
}
