import { describe, expect, it } from 'vitest'
import { makeEvents, sendBatch, useSandbox } from './helpers.js'

const dropping = useSandbox()
const refusing = useSandbox({ unknownKeys: 'refuse' })
const noFlags = useSandbox({ flagsEndpoint: false })

const askFlags = (url: string, body: unknown, contentType = 'application/json') =>
  fetch(`${url}/flags/?v=2`, {
    method: 'POST',
    headers: { 'Content-Type': contentType },
    body: JSON.stringify(body),
  })

describe('capture and a key no project owns', () => {
  it('answers 200 and keeps nothing by default, as PostHog capture (it checks a key’s shape only)', async () => {
    const result = await sendBatch(dropping(), makeEvents(3), { api_key: 'phc_other' })
    expect(result).toMatchObject({ status: 200, body: { status: 1 } })
    expect(dropping().stats()).toMatchObject({ received: 0, accepted_requests: 1, unknown_key_events: 3 })
    // The known key's events are kept as ever.
    expect((await sendBatch(dropping(), makeEvents(2))).status).toBe(200)
    expect(dropping().stats()).toMatchObject({ received: 2, unknown_key_events: 3 })
  })

  it('answers 401 with unknownKeys: refuse, as capture enforcing its known-token list', async () => {
    const result = await sendBatch(refusing(), makeEvents(1), { api_key: 'phc_other' })
    expect(result).toMatchObject({ status: 401, body: { code: 'TokenValidationError' } })
    expect(refusing().stats()).toMatchObject({
      received: 0,
      unknown_key_events: 0,
      rejected_requests: { 401: 1 },
    })
  })

  it('refuses a personal (phx_) key in either mode', async () => {
    expect((await sendBatch(dropping(), makeEvents(1), { api_key: 'phx_personal' })).status).toBe(401)
  })
})

describe('/flags, which looks the key up', () => {
  it('answers a known key with an empty flag set, on /flags and /decide', async () => {
    for (const path of ['/flags/?v=2', '/flags', '/decide/?v=3']) {
      const response = await fetch(`${dropping().url}${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ token: 'phc_sandbox', distinct_id: 'probe' }),
      })
      expect(response.status).toBe(200)
      expect(await response.json()).toMatchObject({ flags: {}, errorsWhileComputingFlags: false })
    }
  })

  it('accepts the key as token, api_key or $token', async () => {
    for (const field of ['token', 'api_key', '$token'])
      expect((await askFlags(dropping().url, { [field]: 'phc_sandbox', distinct_id: 'probe' })).status).toBe(
        200,
      )
  })

  it('answers an unknown key with 401 in plain text, whatever capture does', async () => {
    const response = await askFlags(dropping().url, { token: 'phc_other', distinct_id: 'probe' })
    expect(response.status).toBe(401)
    expect(await response.text()).toMatch(/^The provided API key is invalid or has expired/)
  })

  it('answers as the flag service does without a token, a distinct id or a JSON content type', async () => {
    expect((await askFlags(dropping().url, { distinct_id: 'probe' })).status).toBe(401)
    const noId = await askFlags(dropping().url, { token: 'phc_other' })
    expect(noId.status).toBe(400)
    expect(await noId.text()).toMatch(/distinct_id field is missing/)
    const form = await askFlags(dropping().url, { token: 'phc_sandbox', distinct_id: 'p' }, 'text/plain')
    expect(form.status).toBe(400)
    expect((await fetch(`${dropping().url}/flags`)).status).toBe(405)
  })

  it('answers 404 with flagsEndpoint: false, as a proxy that forwards capture only', async () => {
    expect((await askFlags(noFlags().url, { token: 'phc_sandbox', distinct_id: 'probe' })).status).toBe(404)
  })
})
