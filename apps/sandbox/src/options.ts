import { z } from 'zod'

/** One scripted failure: the next `count` capture requests are answered with `status`. */
export const FailNext = z.object({
  status: z.number().int().min(400).max(599).describe('HTTP status to answer with (429, 500, 503, ...)'),
  count: z.number().int().min(1).default(1).describe('how many consecutive requests get this status'),
})

export const FaultConfig = z.object({
  rateLimit: z
    .number()
    .positive()
    .optional()
    .describe('events per second accepted (token bucket); above it capture answers 429 with Retry-After'),
  rateLimitBurst: z
    .number()
    .positive()
    .optional()
    .describe('token bucket capacity in events; defaults to one second of rateLimit'),
  errorRate: z
    .number()
    .min(0)
    .max(1)
    .default(0)
    .describe('share of requests answered with a random 500 or 503'),
  partialWriteRate: z
    .number()
    .min(0)
    .max(1)
    .default(0)
    .describe('share of valid requests that store only their first k events, then answer 503'),
  latencyMs: z.number().min(0).default(0).describe('fixed delay before answering each capture request'),
  latencyJitterMs: z.number().min(0).default(0).describe('extra random delay, uniform in [0, jitter)'),
  dropRate: z
    .number()
    .min(0)
    .max(1)
    .default(0)
    .describe('share of requests whose socket is destroyed without an answer'),
  failNext: z.array(FailNext).default([]).describe('scripted failures, consumed in order'),
  overQuotaRate: z
    .number()
    .min(0)
    .max(1)
    .default(0)
    .describe(
      'share of valid requests answered 200 but not stored, as PostHog does for a project over its billing quota',
    ),
})
/** What callers pass: every knob optional. */
export type FaultConfig = z.input<typeof FaultConfig>
/** The faults in force, defaults filled in. */
export type ActiveFaults = z.output<typeof FaultConfig>

export const DEFAULT_API_KEY = 'phc_sandbox'
/** The personal API key (`phx_`) and project id the sandbox's query API answers to. */
export const DEFAULT_PERSONAL_API_KEY = 'phx_sandbox'
export const SANDBOX_PROJECT_ID = '1'
/** Capture's BATCH_BODY_SIZE (rust/capture/src/router.rs). */
export const DEFAULT_MAX_BODY_BYTES = 20 * 1024 * 1024
/** Kafka's message.max.bytes default in capture: a bigger event is EventTooBig. */
export const DEFAULT_MAX_EVENT_BYTES = 1_000_000

export const SandboxOptions = z.object({
  port: z.number().int().min(0).max(65535).default(0).describe('TCP port; 0 picks a free one'),
  host: z.literal('127.0.0.1').default('127.0.0.1').describe('bind address (loopback only)'),
  dataDir: z
    .string()
    .min(1)
    .default('./.sandbox-data')
    .describe("directory for the SQLite file, or ':memory:' for a throwaway store"),
  apiKeys: z.array(z.string().min(1)).min(1).default([DEFAULT_API_KEY]).describe('project API keys accepted'),
  personalApiKeys: z
    .array(z.string().min(1))
    .default([DEFAULT_PERSONAL_API_KEY])
    .describe('personal API keys the query API accepts (Authorization: Bearer)'),
  faults: FaultConfig.default(FaultConfig.parse({})).describe('fault injection at start'),
  maxBodyBytes: z
    .number()
    .int()
    .positive()
    .default(DEFAULT_MAX_BODY_BYTES)
    .describe('request body limit, compressed and decompressed (413 above it)'),
  maxEventBytes: z
    .number()
    .int()
    .positive()
    .default(DEFAULT_MAX_EVENT_BYTES)
    .describe('serialized size limit of one event (413 EventTooBig above it)'),
  unknownKeys: z
    .enum(['drop', 'refuse'])
    .default('drop')
    .describe(
      "what capture does with a key no project owns: 'drop' answers 200 and keeps nothing, as PostHog's capture does (it checks a key's shape only); 'refuse' answers 401, as capture with token validation enforced",
    ),
  flagsEndpoint: z
    .boolean()
    .default(true)
    .describe(
      'serve /flags (and /decide), which answers 401 for an unknown key; false answers 404, as a proxy that forwards capture only',
    ),
  seed: z.number().int().default(42).describe('seed of the fault RNG, so fault runs are reproducible'),
})
export type SandboxOptions = z.input<typeof SandboxOptions>
export type ResolvedSandboxOptions = z.output<typeof SandboxOptions>
