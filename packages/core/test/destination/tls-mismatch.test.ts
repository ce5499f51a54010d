import { startSandbox } from '@ph-import/sandbox'
import { expect, it } from 'vitest'
import { createPostHogDestination } from '../../src/destinations/posthog/index.js'
import { eventLines } from './events.js'
import { send } from './posthog-suite.js'

it('https:// to a plain-HTTP PostHog fails at once, saying to give http://', async () => {
  const sandbox = await startSandbox({ port: 0, dataDir: ':memory:' })
  try {
    const host = sandbox.url.replace('http://', 'https://')
    const destination = createPostHogDestination({ host, apiKey: 'phc_sandbox' })
    const error = await send(destination, [eventLines(3)]).then(
      () => expect.unreachable('a TLS handshake with a plain-HTTP server cannot succeed'),
      (e: { message: string; hint?: string }) => e,
    )
    expect(error.message).toMatch(/the server does not speak TLS \(ERR_SSL_WRONG_VERSION_NUMBER\)$/)
    expect(error.hint).toMatch(/give --posthog-host as http:\/\/host:port/)
    expect(sandbox.stats().received).toBe(0)
  } finally {
    await sandbox.close()
  }
})
