import { existsSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { type Sandbox, startSandbox } from '@ph-import/sandbox'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PhImportError } from '../../src/contracts/errors.js'
import { checkProjectKey } from '../../src/destinations/posthog/check-key.js'
import { createPostHogDestination } from '../../src/destinations/posthog/index.js'
import { runImport } from '../../src/runtime/run-import.js'
import { createLogger, type LogSink } from '../../src/util/logger.js'

type LogEntry = Parameters<LogSink>[0]

import { tempDir } from '../helpers.js'
import { inlineSource } from './posthog-suite.js'

const WRONG_KEY = 'phc_us_project_key_on_eu_0042'

// The default sandbox answers capture as PostHog does: 200 for a key no project owns, events dropped.
let sandbox: Sandbox
let noFlags: Sandbox
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, dataDir: ':memory:' })
  noFlags = await startSandbox({ port: 0, dataDir: ':memory:', flagsEndpoint: false })
})
afterAll(async () => {
  await sandbox.close()
  await noFlags.close()
})

const importInto = (
  host: string,
  apiKey: string,
  options: { checkKey?: boolean; logs?: LogEntry[] } = {},
) => {
  const stateDir = tempDir()
  const logs = options.logs ?? []
  const run = runImport({
    source: inlineSource,
    config: { days: 2, perDay: 30 },
    destination: createPostHogDestination({ host, apiKey, checkKey: options.checkKey ?? true }),
    stateDir,
    rate: 1e6,
    logger: createLogger({ sink: (entry) => logs.push(entry), level: 'debug' }),
  })
  return { stateDir, run }
}

describe('the PostHog key check before a job exports', () => {
  it('stops a job whose key no project owns before it exports, sends or writes anything', async () => {
    sandbox.reset()
    const { stateDir, run } = importInto(sandbox.url, WRONG_KEY)
    const error = (await run.then(
      () => expect.unreachable('the key is unknown'),
      (e: unknown) => e,
    )) as PhImportError
    expect(error.kind).toBe('fatal')
    expect(error.message).toMatch(/does not know this project API key \(\/flags answered HTTP 401/)
    expect(error.hint).toMatch(/--posthog-host us or eu/)
    expect(`${error.message} ${error.hint}`).not.toContain(WRONG_KEY)
    expect(sandbox.stats().requests).toBe(0)
    expect(existsSync(path.join(stateDir, 'jobs'))).toBe(false)
  })

  it('is why: without it, capture answers 200 and the job ends done with nothing kept', async () => {
    sandbox.reset()
    const result = await importInto(sandbox.url, WRONG_KEY, { checkKey: false }).run
    expect(result.status).toBe('done')
    expect(result.report.events.loaded).toBe(60)
    expect(sandbox.stats()).toMatchObject({ received: 0, unknown_key_events: 60 })
  })

  it('lets a known key through', async () => {
    sandbox.reset()
    const result = await importInto(sandbox.url, 'phc_sandbox').run
    expect(result.status).toBe('done')
    expect(sandbox.stats().unique_uuids).toBe(60)
  })

  it('goes on, saying why in the debug log, when the host has no /flags (a proxy for capture only)', async () => {
    const logs: LogEntry[] = []
    const result = await importInto(noFlags.url, 'phc_sandbox', { logs }).run
    expect(result.status).toBe('done')
    expect(noFlags.stats().unique_uuids).toBe(60)
    expect(logs.map((l) => l.message)).toContainEqual(
      expect.stringMatching(/could not check the project key .*\/flags answered HTTP 404.*capture will tell/),
    )
  })

  it('gives up waiting after its timeout, and stops at once when the job is stopped', async () => {
    const hanging = createServer(() => {})
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve))
    const host = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`
    const base = { host, apiKey: WRONG_KEY, where: `PostHog ${host}`, redact: (t: string) => t }
    try {
      const late = await checkProjectKey({ ...base, signal: new AbortController().signal, timeoutMs: 200 })
      expect(late).toEqual({ verdict: 'unverified', reason: 'no answer in time' })
      const stop = new AbortController()
      const checking = checkProjectKey({ ...base, signal: stop.signal })
      stop.abort(new Error('interrupted by the user'))
      expect(await checking).toEqual({ verdict: 'unverified', reason: 'the run was stopped' })
      // Through the destination, the check waits its own 10 s, not a batch's 60 s timeout.
      const destination = createPostHogDestination({ host, apiKey: 'phc_sandbox', timeoutMs: 600_000 })
      const started = Date.now()
      const stopLater = new AbortController()
      const timer = setTimeout(() => stopLater.abort(new Error('stop')), 12_000)
      await destination.check?.({ signal: stopLater.signal, debug: () => {} })
      clearTimeout(timer)
      expect(Date.now() - started).toBeLessThan(11_500)
    } finally {
      hanging.closeAllConnections()
      await new Promise((resolve) => hanging.close(resolve))
    }
  })

  it('names an unreachable host as the reason, without failing the job itself', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise((resolve) => closed.close(resolve))
    const checked = await checkProjectKey({
      host: `http://127.0.0.1:${port}`,
      apiKey: WRONG_KEY,
      where: 'PostHog',
      redact: (t) => t,
      signal: new AbortController().signal,
    })
    expect(checked).toMatchObject({ verdict: 'unverified', reason: expect.stringMatching(/ECONNREFUSED/) })
  })
})
