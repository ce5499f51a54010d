import { randomUUID } from 'node:crypto'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeEach } from 'vitest'
import { type Sandbox, type SandboxOptions, startSandbox } from '../src/index.js'

export interface TestEvent {
  event: string
  distinct_id?: unknown
  uuid?: string | undefined
  timestamp?: string | undefined
  properties?: Record<string, unknown>
  [key: string]: unknown
}

export function makeEvent(overrides: Partial<TestEvent> = {}): TestEvent {
  return {
    event: 'button_clicked',
    distinct_id: 'user-1',
    uuid: randomUUID(),
    timestamp: '2024-03-01T10:00:00.000Z',
    properties: { plan: 'pro' },
    ...overrides,
  }
}

export function makeEvents(count: number, overrides: Partial<TestEvent> = {}): TestEvent[] {
  return Array.from({ length: count }, () => makeEvent(overrides))
}

export const batchBody = (batch: unknown[], extra: Record<string, unknown> = {}) => ({
  api_key: 'phc_sandbox',
  historical_migration: true,
  batch,
  ...extra,
})

export interface PostResult {
  status: number
  headers: Headers
  body: Record<string, unknown>
}

/** POSTs JSON (or raw bytes) to a capture route and reads the JSON answer. */
export async function post(
  sandbox: Pick<Sandbox, 'url'>,
  path: string,
  body: unknown,
  options: { gzip?: boolean; headers?: Record<string, string> } = {},
): Promise<PostResult> {
  const bytes = Buffer.isBuffer(body)
    ? body
    : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body))
  const response = await fetch(`${sandbox.url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...options.headers },
    body: options.gzip ? gzipSync(bytes) : bytes,
  })
  const text = await response.text()
  return { status: response.status, headers: response.headers, body: text === '' ? {} : JSON.parse(text) }
}

export const sendBatch = (
  sandbox: Pick<Sandbox, 'url'>,
  batch: unknown[],
  extra: Record<string, unknown> = {},
) => post(sandbox, '/batch/', batchBody(batch, extra))

/** One in-memory sandbox per test file, emptied before each test. */
export function useSandbox(options: SandboxOptions = {}): () => Sandbox {
  let sandbox: Sandbox | undefined
  const ready = startSandbox({ dataDir: ':memory:', ...options }).then((s) => {
    sandbox = s
    return s
  })
  beforeEach(async () => {
    const s = await ready
    s.reset()
    s.setFaults({})
  })
  afterAll(async () => (await ready).close())
  return () => {
    if (!sandbox) throw new Error('sandbox not started yet')
    return sandbox
  }
}
