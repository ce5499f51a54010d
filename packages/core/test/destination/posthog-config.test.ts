import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { fieldMeta, secretFields } from '../../src/contracts/config.js'
import { errorKind, type PhImportError } from '../../src/contracts/errors.js'
import { appHost } from '../../src/destinations/posthog/daily-counts.js'
import {
  createPostHogDestination,
  EU_INGESTION_HOST,
  PostHogDestinationConfig,
  resolveHost,
  US_INGESTION_HOST,
} from '../../src/destinations/posthog/index.js'
import { stripSentAt } from '../../src/destinations/posthog/posthog-node-transport.js'
import { createLogger } from '../../src/util/logger.js'

describe('PostHog destination config', () => {
  it('defaults to US cloud, the fetch transport and gzip; the key is a secret read from the env', () => {
    const config = PostHogDestinationConfig.parse({ apiKey: 'phc_abc' })
    expect(config).toMatchObject({ host: US_INGESTION_HOST, transport: 'fetch', gzip: true })
    expect(secretFields(PostHogDestinationConfig)).toEqual(['apiKey'])
    expect(fieldMeta(PostHogDestinationConfig.shape.apiKey).env).toBe('POSTHOG_PROJECT_API_KEY')
    for (const [name, schema] of Object.entries(PostHogDestinationConfig.shape)) {
      expect(fieldMeta(schema).description, name).toBeTruthy()
    }
  })

  it.each([
    ['us', US_INGESTION_HOST, false],
    ['EU', EU_INGESTION_HOST, false],
    ['https://eu.i.posthog.com/', EU_INGESTION_HOST, false],
    ['https://us.posthog.com', US_INGESTION_HOST, true],
    ['eu.posthog.com', EU_INGESTION_HOST, true],
    ['https://app.posthog.com/project/1', US_INGESTION_HOST, true],
    ['posthog.example.com', 'https://posthog.example.com', false],
    ['http://127.0.0.1:8010/batch/', 'http://127.0.0.1:8010', true],
    ['https://proxy.example.com/ingest/', 'https://proxy.example.com/ingest', false],
  ])('host %s → %s', (input, url, corrected) => {
    const resolved = resolveHost(input)
    expect(resolved.url).toBe(url)
    expect(resolved.note !== undefined).toBe(corrected)
  })

  it('explains an app host correction through the logger', () => {
    const warnings: string[] = []
    const logger = createLogger({ sink: (e) => warnings.push(e.message) })
    createPostHogDestination({ apiKey: 'phc_abc', host: 'us.posthog.com' }, { logger })
    expect(warnings).toEqual([
      `us.posthog.com is PostHog's app host, not its ingestion host: sending to ${US_INGESTION_HOST} instead`,
    ])
  })

  it.each([
    ['phx_personal_key_0123456789', /personal API key \(phx_\.\.\.\) is not a project API key/],
    ['phs_secret_key_0123456789', /project secret API key/],
    ['', /project API key is required/],
  ])('refuses %j with a config error that does not echo it', (apiKey, message) => {
    const error = (() => {
      try {
        createPostHogDestination({ apiKey })
      } catch (e) {
        return e as PhImportError
      }
    })()
    expect(errorKind(error)).toBe('config')
    expect(error?.message).toMatch(message)
    if (apiKey) expect(error?.message).not.toContain(apiKey)
    // The CLI's own flags: --api-key is a source's (Amplitude's), not PostHog's.
    expect(error?.hint).toMatch(/--posthog-host and --posthog-key/)
  })

  it('refuses hosts that are not http(s) URLs or that carry credentials', () => {
    expect(() => resolveHost('ftp://posthog.example.com')).toThrow(/http\(s\)/)
    expect(() => resolveHost('https://user:pw@posthog.example.com')).toThrow(/credentials/)
  })

  it('describe() names the host, never the key, and is the same for both transports (job ids)', () => {
    const fetchDest = createPostHogDestination({ apiKey: 'phc_secret_value', host: 'eu' })
    const nodeDest = createPostHogDestination({
      apiKey: 'phc_secret_value',
      host: 'eu',
      transport: 'posthog-node',
    })
    expect(fetchDest.describe()).toBe(`PostHog ${EU_INGESTION_HOST}`)
    expect(nodeDest.describe()).toBe(fetchDest.describe())
  })

  it("removes posthog-node's sent_at without touching the events", () => {
    const batch = '[{"event":"a","properties":{"sent_at":"x"}}]'
    expect(
      stripSentAt(
        `{"api_key":"k","batch":${batch},"sent_at":"2024-01-01T00:00:00.000Z","historical_migration":true}`,
      ),
    ).toBe(`{"api_key":"k","batch":${batch},"historical_migration":true}`)
    expect(stripSentAt(`{"sent_at":"2024","api_key":"k","batch":${batch}}`)).toBe(
      `{"api_key":"k","batch":${batch}}`,
    )
  })
})

describe('PostHog destination errors', () => {
  it('a server echoing the key in an error never puts it in the message', async () => {
    const key = 'phc_echoed_secret_42'
    const server = createServer((req, res) => {
      req.resume()
      req.on('end', () =>
        res.writeHead(400, { 'content-type': 'text/plain' }).end(`bad request for token ${key}`),
      )
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    try {
      const host = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      for (const transport of ['fetch', 'posthog-node'] as const) {
        const destination = createPostHogDestination({ apiKey: key, host, transport })
        const error = (await destination
          .send(
            {
              lines: [
                '{"event":"a","distinct_id":"u","uuid":"0190b3c4-0000-7000-8000-000000000001","timestamp":"2024-01-01T00:00:00.000Z","properties":{}}',
              ],
              bytes: 1,
            },
            {
              signal: new AbortController().signal,
            },
          )
          .catch((e: unknown) => e)) as PhImportError & { serverMessage: string }
        expect(errorKind(error)).toBe('rejected_events')
        expect(error.serverMessage).toBe('bad request for token ***')
        expect(error.message).not.toContain(key)
      }
    } finally {
      server.close()
    }
  })

  it('a stopped job aborts the request in flight with the stop reason, not a retriable error', async () => {
    const server = createServer(() => {}) // never answers
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    try {
      const host = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      for (const transport of ['fetch', 'posthog-node'] as const) {
        const destination = createPostHogDestination({ apiKey: 'phc_x', host, transport })
        const controller = new AbortController()
        const sending = destination.send(
          {
            lines: [
              '{"event":"a","distinct_id":"u","uuid":"0190b3c4-0000-7000-8000-000000000001","timestamp":"2024-01-01T00:00:00.000Z","properties":{}}',
            ],
            bytes: 1,
          },
          { signal: controller.signal },
        )
        setTimeout(() => controller.abort(new Error('user pressed ctrl-c')), 50)
        await expect(sending).rejects.toThrow('user pressed ctrl-c')
      }
    } finally {
      server.closeAllConnections()
      server.close()
    }
  })
})

describe('the query API host (ph-import verify)', () => {
  it('maps cloud ingestion hosts and shorthands to the app host, and keeps a self-hosted URL', () => {
    expect(appHost('us')).toBe('https://us.posthog.com')
    expect(appHost('https://eu.i.posthog.com')).toBe('https://eu.posthog.com')
    expect(appHost('eu.posthog.com')).toBe('https://eu.posthog.com')
    expect(appHost('https://posthog.example.com/')).toBe('https://posthog.example.com')
  })
})
