import { describe, expect, it } from 'vitest'
import { SandboxClient } from '../src/index.js'
import { makeEvent, makeEvents, sendBatch, useSandbox } from './helpers.js'

const sandbox = useSandbox()

describe('query API', () => {
  it('reports counts per name and day, distinct ids, persons set and requests', async () => {
    await sendBatch(sandbox(), [
      makeEvent({ event: '$pageview', timestamp: '2024-01-01T00:00:00Z', distinct_id: 'a' }),
      makeEvent({ event: '$pageview', timestamp: '2024-01-02T00:00:00Z', distinct_id: 'b' }),
      makeEvent({
        event: '$set',
        distinct_id: 'a',
        timestamp: '2024-01-02T01:00:00Z',
        properties: { $set: { x: 1 } },
      }),
    ])
    const stats = await new SandboxClient(sandbox().url).stats()
    expect(stats).toMatchObject({
      received: 3,
      unique_uuids: 3,
      duplicates: 0,
      events_by_name: { $pageview: 2, $set: 1 },
      events_by_day: { '2024-01-01': 1, '2024-01-02': 2 },
      distinct_ids: 2,
      persons_set: 1,
      historical: 3,
      requests: 1,
      accepted_requests: 1,
      rejected_requests: {},
    })
  })

  it('filters and pages events over HTTP', async () => {
    const events = makeEvents(5, { distinct_id: 'pager' })
    await sendBatch(sandbox(), [...events, makeEvent({ event: 'other', timestamp: '2023-12-31T23:00:00Z' })])
    const client = new SandboxClient(sandbox().url)
    expect((await client.events({ distinct_id: 'pager', limit: 2, offset: 1 })).map((e) => e.uuid)).toEqual([
      events[1]?.uuid,
      events[2]?.uuid,
    ])
    expect(await client.events({ event: 'other' })).toHaveLength(1)
    expect(await client.events({ day: '2023-12-31' })).toHaveLength(1)
    expect((await client.events({ uuid: String(events[4]?.uuid) }))[0]?.distinct_id).toBe('pager')
  })

  it('streams unique uuids, one per line', async () => {
    const events = makeEvents(2500)
    await sendBatch(sandbox(), events)
    await sendBatch(sandbox(), events.slice(0, 10))
    const uuids = await new SandboxClient(sandbox().url).uuids()
    expect(uuids).toEqual(new Set(events.map((e) => e.uuid)))
    expect(sandbox().uniqueUuids()).toEqual(uuids)
  })

  it('folds $set / $set_once / $unset in arrival order and lists identify and alias links', async () => {
    const at = (t: string) => `2024-05-0${t}T00:00:00Z`
    // Arrival order, not timestamp order, decides: the later-arriving event wins although it is older.
    await sendBatch(sandbox(), [
      makeEvent({ distinct_id: 'u1', timestamp: at('3'), properties: { $set: { plan: 'pro', seat: 1 } } }),
      makeEvent({ distinct_id: 'u1', timestamp: at('1'), properties: { $set: { plan: 'free' } } }),
      makeEvent({ distinct_id: 'u1', properties: { $set_once: { first: 'a', plan: 'ignored' } } }),
      makeEvent({ distinct_id: 'u1', properties: { $set_once: { first: 'b' }, $unset: ['seat'] } }),
      makeEvent({ event: '$identify', distinct_id: 'u1', properties: { $anon_distinct_id: 'anon-1' } }),
      makeEvent({ event: '$create_alias', distinct_id: 'u1', properties: { alias: 'email@x' } }),
    ])
    const view = await new SandboxClient(sandbox().url).persons('u1')
    expect(view.persons).toEqual([
      {
        distinct_id: 'u1',
        properties: { plan: 'free', first: 'a' },
        linked_distinct_ids: ['anon-1', 'email@x'],
      },
    ])
    expect(view.links.map((l) => [l.kind, l.distinct_id, l.other_id])).toEqual([
      ['identify', 'u1', 'anon-1'],
      ['alias', 'u1', 'email@x'],
    ])
    expect(
      sandbox()
        .persons()
        .persons.map((p) => p.distinct_id),
    ).toEqual(['u1', 'anon-1', 'email@x'])
  })

  it('reset clears events, requests and fault counters', async () => {
    sandbox().setFaults({ failNext: [{ status: 500 }] })
    await sendBatch(sandbox(), makeEvents(1))
    await sendBatch(sandbox(), makeEvents(3))
    const client = new SandboxClient(sandbox().url)
    await client.reset()
    expect(await client.stats()).toMatchObject({ received: 0, requests: 0, faults: { fail_next: 0 } })
  })

  it('serves an HTML overview with counts per day and per event name', async () => {
    await sendBatch(sandbox(), [makeEvent({ event: '<script>', timestamp: '2024-02-02T00:00:00Z' })])
    const response = await fetch(`${sandbox().url}/`)
    expect(response.headers.get('content-type')).toMatch(/text\/html/)
    const html = await response.text()
    expect(html).toContain('2024-02-02')
    expect(html).toContain('&#60;script&#62;')
    expect(html).not.toMatch(/<script|https?:\/\/(?!127)/)
  })
})

describe("PostHog's query API, for ph-import verify's daily counts", () => {
  const dailyCounts = (source: string, from = '2024-01-01', to = '2024-01-04') =>
    [
      "SELECT toDate(toTimeZone(timestamp, 'UTC')) AS day, count(DISTINCT uuid) AS events FROM events",
      `WHERE timestamp >= toDateTime('${from} 00:00:00', 'UTC') AND timestamp < toDateTime('${to} 00:00:00', 'UTC')`,
      `AND properties.$import_source = '${source}'`,
      'GROUP BY day ORDER BY day LIMIT 50000',
    ].join(' ')
  const ask = (body: unknown, { key = 'phx_sandbox', project = '1' } = {}) =>
    fetch(`${sandbox().url}/api/projects/${project}/query/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify(body),
    })

  it('counts distinct uuids per UTC day for one import source, in the range', async () => {
    const twice = makeEvent({ timestamp: '2024-01-01T23:59:59Z', properties: { $import_source: 'csv' } })
    await sendBatch(sandbox(), [
      twice,
      twice,
      makeEvent({ timestamp: '2024-01-02T00:00:00Z', properties: { $import_source: 'csv' } }),
      makeEvent({ timestamp: '2024-01-02T05:00:00Z', properties: { $import_source: 'csv' } }),
      makeEvent({ timestamp: '2024-01-02T05:00:00Z', properties: { $import_source: 'amplitude' } }),
      makeEvent({ timestamp: '2024-01-04T00:00:00Z', properties: { $import_source: 'csv' } }),
    ])
    const response = await ask({ query: { kind: 'HogQLQuery', query: dailyCounts('csv') } })
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({
      results: [
        ['2024-01-01', 1],
        ['2024-01-02', 2],
      ],
      columns: ['day', 'events'],
    })
  })

  it("answers PostHog's errors: 401 for another key, 404 for another project, 400 for other queries", async () => {
    const query = { query: { kind: 'HogQLQuery', query: dailyCounts('csv') } }
    const unauthorized = await ask(query, { key: 'phx_other' })
    expect(unauthorized.status).toBe(401)
    expect(await unauthorized.json()).toMatchObject({ type: 'authentication_error' })
    expect((await ask(query, { project: '2' })).status).toBe(404)
    const other = await ask({ query: { kind: 'HogQLQuery', query: 'SELECT count() FROM events' } })
    expect(other.status).toBe(400)
    expect(await other.json()).toMatchObject({ type: 'validation_error' })
  })

  it('over quota: answers 200 and stores nothing, counted in stats.faults.over_quota', async () => {
    sandbox().setFaults({ overQuotaRate: 1 })
    const response = await sendBatch(sandbox(), makeEvents(5))
    expect(response.status).toBe(200)
    expect(sandbox().stats()).toMatchObject({ received: 0, faults: { over_quota: 1 } })
  })
})
