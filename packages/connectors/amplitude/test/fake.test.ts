import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import yauzl from 'yauzl'
import { type FakeAmplitude, startFakeAmplitude } from '../src/testing.js'
import { tempDir } from './helpers.js'

let fake: FakeAmplitude
const auth = (key = 'amp_key', secret = 'amp_secret') => ({
  authorization: `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`,
})
const get = (query: string, headers = auth()) => fetch(`${fake.url}/api/2/export?${query}`, { headers })

beforeAll(async () => {
  fake = await startFakeAmplitude({
    seed: 3,
    start: '2024-03-01T00:00:00Z',
    end: '2024-03-02T00:00:00Z',
    events: 600,
    now: new Date('2024-03-01T14:30:00Z'),
    rowsPerPart: 10,
    partBase: 1,
  })
})
afterAll(() => fake.close())

async function entries(zip: Buffer): Promise<Map<string, Buffer>> {
  const dir = tempDir()
  mkdirSync(dir, { recursive: true })
  const file = path.join(dir, 'x.zip')
  writeFileSync(file, zip)
  const z = await yauzl.openPromise(file, { lazyEntries: true, autoClose: false })
  const list: yauzl.Entry[] = await new Promise((resolve, reject) => {
    const found: yauzl.Entry[] = []
    z.on('entry', (e: yauzl.Entry) => {
      found.push(e)
      z.readEntry()
    })
    z.once('end', () => resolve(found))
    z.once('error', reject)
    z.readEntry()
  })
  const out = new Map<string, Buffer>()
  for (const entry of list) {
    if (entry.fileName.endsWith('/')) continue
    const chunks: Buffer[] = []
    for await (const c of await z.openReadStreamPromise(entry)) chunks.push(c as Buffer)
    out.set(entry.fileName, Buffer.concat(chunks))
  }
  z.close()
  return out
}

describe('fake Amplitude Export API', () => {
  it('answers 403 to a bad key and 400 to malformed or reversed windows', async () => {
    expect((await get('start=20240301T00&end=20240301T01', auth('amp_key', 'nope'))).status).toBe(403)
    expect((await get('start=2024-03-01&end=20240301T01')).status).toBe(400)
    expect((await get('start=20240301T05&end=20240301T01')).status).toBe(400)
  })

  it('serves a zip of gzipped JSON lines named {project}/{project}_{date}_{H}#{n}.json.gz', async () => {
    const res = await get('start=20240301T00&end=20240301T09')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/zip')
    const files = await entries(Buffer.from(await res.arrayBuffer()))
    const names = [...files.keys()]
    expect(names).toContain('187520/187520_2024-03-01_0#1.json.gz')
    expect(names).toContain('187520/187520_2024-03-01_9#1.json.gz')
    expect(names.some((n) => n.endsWith('#2.json.gz'))).toBe(true)
    const rows = [...files.values()].flatMap((gz) =>
      gunzipSync(gz)
        .toString('utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    )
    expect(rows.length).toBe(fake.exportable('20240301T00', '20240301T09').length)
    expect(rows.every((r) => String(r.server_upload_time) < '2024-03-01 10')).toBe(true)
    expect(rows[0]?.event_time).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/)
  })

  it('hides hours that are not complete (now − 2 h) and answers 404 when nothing is left', async () => {
    expect(
      fake.exportable('20240301T00', '20240301T23').every((r) => r.server_upload_time < '2024-03-01 12'),
    ).toBe(true)
    expect((await get('start=20240301T13&end=20240301T14')).status).toBe(404)
  })

  it('generates late rows, $identify rows, EMPTY properties, merged amplitude_ids and groups', () => {
    const rows = fake.events()
    expect(rows.some((r) => r.event_time.slice(0, 10) < r.server_upload_time.slice(0, 10))).toBe(true)
    expect(rows.some((r) => r.event_type === '$identify')).toBe(true)
    expect(rows.some((r) => Object.values(r.user_properties ?? {}).includes('EMPTY'))).toBe(true)
    expect(rows.some((r) => (r.data as { merged_amplitude_id?: number }).merged_amplitude_id)).toBe(true)
    expect(rows.some((r) => Object.keys(r.groups ?? {}).length > 0)).toBe(true)
    const ids = new Map<string, Set<unknown>>()
    for (const r of rows)
      if (r.user_id) ids.set(String(r.user_id), (ids.get(String(r.user_id)) ?? new Set()).add(r.amplitude_id))
    const devices = new Map<string, Set<unknown>>()
    for (const r of rows)
      if (r.device_id) devices.set(r.device_id, (devices.get(r.device_id) ?? new Set()).add(r.amplitude_id))
    // A device used anonymously, then by a user, shows two amplitude_ids (pre- and post-merge).
    expect([...devices.values()].some((s) => s.size === 2)).toBe(true)
  })

  it('is deterministic for a seed', async () => {
    const again = await startFakeAmplitude({
      seed: 3,
      start: '2024-03-01T00:00:00Z',
      end: '2024-03-02T00:00:00Z',
      events: 600,
    })
    expect(again.events().map((r) => r.uuid)).toEqual(fake.events().map((r) => r.uuid))
    await again.close()
  })

  it('answers 429 with Retry-After after N requests', async () => {
    fake.reset()
    fake.set({ rateLimit: { after: 1, count: 1, retryAfterSeconds: 7 } })
    expect((await get('start=20240301T00&end=20240301T00')).status).toBe(200)
    const limited = await get('start=20240301T00&end=20240301T00')
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '7'])
    expect((await get('start=20240301T00&end=20240301T00')).status).toBe(200)
    fake.set({ rateLimit: undefined })
  })
})
