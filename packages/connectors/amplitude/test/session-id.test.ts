import { describe, expect, it } from 'vitest'
import { transformAmplitude } from '../src/transform.js'
import { iosAnonymousPurchase, webPageView } from './fixtures/records.js'
import { eventsOf, transformContext } from './helpers.js'

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

const sessionOf = (row: Record<string, unknown>, ctx = transformContext()) =>
  eventsOf(transformAmplitude(row, ctx)).at(-1)?.properties.$session_id

describe("transform: Amplitude's session_id becomes PostHog's $session_id", () => {
  it('is a UUIDv7 whose time is the session start, on the event only', () => {
    const events = eventsOf(transformAmplitude(webPageView, transformContext()))
    const session = events.at(-1)?.properties.$session_id as string
    expect(session).toMatch(UUID_V7)
    const ms = Number.parseInt(session.replaceAll('-', '').slice(0, 12), 16)
    expect(ms).toBe(webPageView.session_id)
    // The $identify and $groupidentify ahead of it are not part of the session.
    for (const e of events.slice(0, -1)) expect(e.properties).not.toHaveProperty('$session_id')
  })

  it('is the same for every event of a session and differs between devices, sessions and projects', () => {
    const a = sessionOf(webPageView)
    expect(sessionOf({ ...webPageView, event_time: '2024-03-01 10:40:00.000000', uuid: undefined })).toBe(a)
    expect(sessionOf({ ...webPageView, device_id: 'another-device' })).not.toBe(a)
    expect(sessionOf({ ...webPageView, session_id: Number(webPageView.session_id) + 1 })).not.toBe(a)
    expect(sessionOf(webPageView, transformContext({ identity: 'other-project' }))).not.toBe(a)
  })

  it('is left out without a session (-1), more than 24 hours after its start, or when turned off', () => {
    expect(sessionOf({ ...iosAnonymousPurchase, session_id: -1 })).toBeUndefined()
    expect(sessionOf({ ...webPageView, event_time: '2024-03-02 11:00:00.000000' })).toBeUndefined()
    expect(sessionOf(webPageView, transformContext({ config: { sessionIds: false } }))).toBeUndefined()
  })

  it('keeps a $session_id the event already carries', () => {
    const row = { ...webPageView, event_properties: { $session_id: '0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b' } }
    expect(sessionOf(row)).toBe('0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b')
  })
})
