import { expect, it } from 'vitest'
import type { PhImportError } from '../../src/contracts/errors.js'
import { createPostHogDestination } from '../../src/destinations/posthog/index.js'
import { eventLines } from './events.js'
import { send } from './posthog-suite.js'

// fetch refuses the fetch standard's blocked ports before it connects and says only "fetch failed"
// (the reason, "bad port", is in its cause): retrying can never help, and the user must be told why.
it('a PostHog host on a port fetch blocks fails at once, naming the port rule', async () => {
  const destination = createPostHogDestination({ host: 'http://127.0.0.1:9', apiKey: 'phc_sandbox' })
  const retries: PhImportError[] = []
  const error = await send(destination, [eventLines(1)], undefined, retries).then(
    () => expect.unreachable('fetch never connects to port 9'),
    (e: { message: string; hint?: string; kind?: string }) => e,
  )
  expect(error.message).toBe(
    'PostHog http://127.0.0.1:9: fetch will not connect to this port (the fetch standard blocks 9, 25, 6000 and others)',
  )
  expect(error.hint).toMatch(/serve PostHog on another port/)
  expect(error.kind).toBe('fatal')
  expect(retries).toEqual([])
})
