import { describe, expect, it } from 'vitest'
import { batchBody, makeEvent, makeEvents, post, sendBatch, type TestEvent, useSandbox } from './helpers.js'

const sandbox = useSandbox()

describe('capture: accepted requests', () => {
  it.each(['/batch/', '/batch', '/e/', '/e', '/i/v0/e/', '/i/v0/e', '/capture/', '/capture'])(
    'accepts a batch body on %s',
    async (path) => {
      const result = await post(sandbox(), path, batchBody(makeEvents(2)))
      expect(result).toMatchObject({ status: 200, body: { status: 1 } })
      expect(sandbox().stats().received).toBe(2)
    },
  )

  it('accepts a single event carrying its token as api_key, token or $token, and an array of events', async () => {
    const forms = [
      { ...makeEvent(), api_key: 'phc_sandbox' },
      { ...makeEvent(), token: 'phc_sandbox' },
      { ...makeEvent(), $token: 'phc_sandbox' },
      [makeEvent({ token: 'phc_sandbox' }), makeEvent({ token: 'phc_sandbox' })],
    ]
    for (const body of forms) expect((await post(sandbox(), '/e/', body)).status).toBe(200)
    const stats = sandbox().stats()
    expect(stats.received).toBe(5)
    // Only the /batch/ body form can carry historical_migration.
    expect(stats.historical).toBe(0)
  })

  it('stores uuid, name, distinct_id, timestamp, day, properties and the historical flag', async () => {
    const event = makeEvent({
      timestamp: '2024-03-01T23:59:59.123456Z',
      properties: { a: 1, nested: { b: [2] } },
    })
    await sendBatch(sandbox(), [event])
    const [stored] = sandbox().events()
    expect(stored).toMatchObject({
      uuid: event.uuid,
      event: 'button_clicked',
      distinct_id: 'user-1',
      timestamp: '2024-03-01T23:59:59.123456Z',
      day: '2024-03-01',
      properties: { a: 1, nested: { b: [2] } },
      historical: true,
    })
  })

  it('detects gzip by magic bytes without Content-Encoding, and honours Content-Encoding: gzip', async () => {
    expect((await post(sandbox(), '/batch/', batchBody(makeEvents(3)), { gzip: true })).status).toBe(200)
    const declared = { gzip: true, headers: { 'Content-Encoding': 'gzip' } }
    expect((await post(sandbox(), '/batch/', batchBody(makeEvents(2)), declared)).status).toBe(200)
    expect(sandbox().stats().received).toBe(5)
  })

  it('computes timestamps like capture: naive is UTC, offset wins, far future and garbage become now', async () => {
    const before = Date.now()
    await sendBatch(sandbox(), [
      makeEvent({ timestamp: '2024-02-03 04:05:06' }),
      makeEvent({ timestamp: '2024-02-03T04:05:06+02:00' }),
      makeEvent({ timestamp: undefined, offset: 60_000 }),
      makeEvent({ timestamp: '2999-01-01T00:00:00Z' }),
      makeEvent({ timestamp: 'yesterday-ish' }),
    ])
    const [naive, zoned, offset, future, garbage] = sandbox().events()
    expect(naive).toMatchObject({ timestamp: '2024-02-03T04:05:06.000Z', day: '2024-02-03' })
    expect(zoned).toMatchObject({ timestamp: '2024-02-03T04:05:06+02:00', day: '2024-02-03' })
    const near = (iso: string | undefined, ms: number) => Math.abs(Date.parse(iso ?? '') - ms) < 5_000
    expect(near(offset?.timestamp, before - 60_000)).toBe(true)
    expect(near(future?.timestamp, before)).toBe(true)
    expect(near(garbage?.timestamp, before)).toBe(true)
  })

  it('reads distinct_id from properties and stringifies numbers', async () => {
    await sendBatch(sandbox(), [
      makeEvent({ distinct_id: undefined, properties: { distinct_id: 'from-props' } }),
      makeEvent({ distinct_id: 42 }),
    ])
    expect(
      sandbox()
        .events()
        .map((e) => e.distinct_id),
    ).toEqual(['from-props', '42'])
  })

  it('gives an event without uuid a fresh UUIDv7, and counts every receipt of a resent uuid', async () => {
    const events = makeEvents(3)
    await sendBatch(sandbox(), [...events, makeEvent({ uuid: undefined })])
    await sendBatch(sandbox(), events)
    const stats = sandbox().stats()
    expect(stats).toMatchObject({ received: 7, unique_uuids: 4, duplicates: 3, conflicting_uuids: 0 })
    expect(sandbox().events()[3]?.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/)
  })

  it('counts the uuids resent with another event, distinct id or day: PostHog keeps those rows apart', async () => {
    const [a, b, c, d] = makeEvents(4) as [TestEvent, TestEvent, TestEvent, TestEvent]
    await sendBatch(sandbox(), [a, b, c, d])
    await sendBatch(sandbox(), [
      a,
      { ...b, event: 'renamed' },
      { ...c, distinct_id: 'someone-else' },
      { ...d, timestamp: '2023-01-01T00:00:00.000Z' },
    ])
    expect(sandbox().stats()).toMatchObject({
      received: 8,
      unique_uuids: 4,
      duplicates: 4,
      conflicting_uuids: 3,
    })
  })
})

describe('capture: rejected requests store nothing', () => {
  const cases: [string, unknown, number, string, number | undefined][] = [
    ['bad JSON', '{"api_key": "phc_sandbox", "batch": [', 400, 'RequestParsingError', undefined],
    ['an empty batch', batchBody([]), 400, 'EmptyBatch', undefined],
    [
      'a non-UUID uuid',
      batchBody([makeEvent(), makeEvent({ uuid: 'not-a-uuid' })]),
      400,
      'RequestParsingError',
      1,
    ],
    ['an empty event name', batchBody([makeEvent(), makeEvent({ event: '' })]), 400, 'MissingEventName', 1],
    [
      'a missing distinct_id',
      batchBody([makeEvent({ distinct_id: undefined })]),
      400,
      'MissingDistinctId',
      0,
    ],
    [
      'an empty distinct_id',
      batchBody([makeEvent(), makeEvent({ distinct_id: '' })]),
      400,
      'EmptyDistinctId',
      1,
    ],
    ['no api_key', { batch: [makeEvent()] }, 401, 'NoTokenError', undefined],
  ]
  it.each(cases)('answers %s with the status, code and event index', async (_, body, status, code, index) => {
    const result = await post(sandbox(), '/batch/', body)
    expect(result.status).toBe(status)
    expect(result.body).toMatchObject({ code })
    expect(result.body.index).toBe(index)
    expect(typeof result.body.error).toBe('string')
    expect(sandbox().stats()).toMatchObject({ received: 0, requests: 1, rejected_requests: { [status]: 1 } })
  })

  it('names personal (phx_) keys in the 401', async () => {
    const result = await sendBatch(sandbox(), [makeEvent()], { api_key: 'phx_personal' })
    expect(result.status).toBe(401)
    expect(result.body.error).toMatch(/personal API key/)
  })

  it('answers a lone UTF-16 surrogate with 400 for the whole batch, as serde_json refuses it', async () => {
    const cut = makeEvent({ properties: { text: 'cut mid-emoji \ud83d' } })
    const result = await sendBatch(sandbox(), [makeEvent(), cut])
    expect(result).toMatchObject({ status: 400, body: { code: 'RequestParsingError' } })
    expect(result.body.error).toMatch(/lone leading surrogate/)
    expect(sandbox().stats().received).toBe(0)
    // Whole pairs, escaped or not, are fine.
    const pairs = [makeEvent({ properties: { text: '🦔' } })]
    expect((await sendBatch(sandbox(), pairs)).status).toBe(200)
    const escaped = JSON.stringify(batchBody([makeEvent()])).replace(
      '"plan":"pro"',
      '"plan":"\\ud83e\\udd94"',
    )
    expect((await post(sandbox(), '/batch/', escaped)).status).toBe(200)
  })

  it('answers bad gzip with 400', async () => {
    const bad = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 1, 2, 3])
    expect((await post(sandbox(), '/batch/', bad)).status).toBe(400)
    const declaredButPlain = { headers: { 'Content-Encoding': 'gzip' } }
    expect((await post(sandbox(), '/batch/', batchBody([makeEvent()]), declaredButPlain)).status).toBe(400)
  })

  it('answers a single event over 1 MB with 413 EventTooBig', async () => {
    const big = makeEvent({ properties: { blob: 'x'.repeat(1_000_001) } })
    const result = await sendBatch(sandbox(), [makeEvent(), big])
    expect(result).toMatchObject({ status: 413, body: { code: 'EventTooBig', index: 1 } })
    expect(sandbox().stats().received).toBe(0)
  })

  it('measures an event as its Kafka message: 420 kB of quotes is too big, 990 kB of letters is not', async () => {
    const quoted = makeEvent({ properties: { text: '"'.repeat(420_000) } })
    expect(await sendBatch(sandbox(), [quoted])).toMatchObject({ status: 413, body: { code: 'EventTooBig' } })
    const plain = makeEvent({ properties: { text: 'x'.repeat(990_000) } })
    expect((await sendBatch(sandbox(), [plain])).status).toBe(200)
  })

  it('answers a body over 20 MB with 413', async () => {
    const events = makeEvents(22, { properties: { blob: 'y'.repeat(999_000) } })
    const result = await sendBatch(sandbox(), events)
    expect(result).toMatchObject({ status: 413, body: { code: 'PayloadTooLarge' } })
    expect(sandbox().stats().received).toBe(0)
  })

  it('answers a gzip body that inflates past 20 MB with 413', async () => {
    const events = makeEvents(22, { properties: { blob: 'z'.repeat(999_000) } })
    const result = await post(sandbox(), '/batch/', batchBody(events), { gzip: true })
    expect(result.status).toBe(413)
    expect(sandbox().stats().received).toBe(0)
  })
})

describe('capture: other methods and paths', () => {
  it('answers GET on capture with 405 and unknown paths with 404', async () => {
    expect((await fetch(`${sandbox().url}/batch/`)).status).toBe(405)
    expect((await fetch(`${sandbox().url}/nope`)).status).toBe(404)
  })
})
