#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { type FaultConfig, SandboxOptions } from './options.js'
import { startSandbox } from './server.js'

const HELP = `Usage: node apps/sandbox/dist/main.js [options]

  --port <n>               port on 127.0.0.1 (env SANDBOX_PORT, default 8010; 0 = random)
  --data-dir <path>        SQLite directory or :memory: (env SANDBOX_DATA_DIR, default ./.sandbox-data)
  --api-key <key>          accepted project key, repeatable (env SANDBOX_API_KEYS, comma separated; default phc_sandbox)
  --max-body-bytes <n>     request body limit (env SANDBOX_MAX_BODY_BYTES, default 20 MB)
  --max-event-bytes <n>    event size limit (env SANDBOX_MAX_EVENT_BYTES, default 1000000)
  --seed <n>               fault RNG seed (env SANDBOX_SEED, default 42)
  --unknown-keys <mode>    drop (200, nothing kept, as PostHog's capture) or refuse (401)
                           a key not given with --api-key (env SANDBOX_UNKNOWN_KEYS, default drop)
  --rate-limit <n>         events per second before 429 (env SANDBOX_RATE_LIMIT)
  --rate-limit-burst <n>   token bucket size in events (env SANDBOX_RATE_LIMIT_BURST)
  --error-rate <0..1>      random 500/503 share (env SANDBOX_ERROR_RATE)
  --partial-write-rate <0..1>  store some events then 503 (env SANDBOX_PARTIAL_WRITE_RATE)
  --latency-ms <n>         fixed delay per request (env SANDBOX_LATENCY_MS)
  --latency-jitter-ms <n>  extra random delay (env SANDBOX_LATENCY_JITTER_MS)
  --drop-rate <0..1>       share of connections reset without answer (env SANDBOX_DROP_RATE)
  --over-quota-rate <0..1> share of requests answered 200 but not stored (env SANDBOX_OVER_QUOTA_RATE)
  -h, --help`

const FAULT_FLAGS = {
  'rate-limit': 'rateLimit',
  'rate-limit-burst': 'rateLimitBurst',
  'error-rate': 'errorRate',
  'partial-write-rate': 'partialWriteRate',
  'latency-ms': 'latencyMs',
  'latency-jitter-ms': 'latencyJitterMs',
  'drop-rate': 'dropRate',
  'over-quota-rate': 'overQuotaRate',
} as const

const envName = (flag: string) => `SANDBOX_${flag.toUpperCase().replaceAll('-', '_')}`

function numberFlag(values: Record<string, unknown>, flag: string): number | undefined {
  const raw = (values[flag] as string | undefined) ?? process.env[envName(flag)]
  if (raw === undefined || raw === '') return undefined
  const value = Number(raw)
  if (Number.isNaN(value)) throw new Error(`--${flag} must be a number, got ${JSON.stringify(raw)}`)
  return value
}

function optionsFromArgs(): SandboxOptions | undefined {
  const stringFlags = [
    'port',
    'data-dir',
    'max-body-bytes',
    'max-event-bytes',
    'seed',
    'unknown-keys',
    ...Object.keys(FAULT_FLAGS),
  ]
  const { values } = parseArgs({
    allowPositionals: false,
    options: {
      ...Object.fromEntries(stringFlags.map((flag) => [flag, { type: 'string' as const }])),
      'api-key': { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) return undefined
  const flags = values as Record<string, string | string[] | boolean | undefined>
  const faults: FaultConfig = {}
  for (const [flag, key] of Object.entries(FAULT_FLAGS)) {
    const value = numberFlag(flags, flag)
    if (value !== undefined) faults[key] = value
  }
  const envKeys = process.env.SANDBOX_API_KEYS?.split(',').filter((k) => k !== '')
  const options: SandboxOptions = {
    port: numberFlag(flags, 'port') ?? 8010,
    dataDir: (flags['data-dir'] as string | undefined) ?? process.env.SANDBOX_DATA_DIR ?? './.sandbox-data',
    faults,
  }
  const apiKeys = (flags['api-key'] as string[] | undefined) ?? envKeys
  if (apiKeys) options.apiKeys = apiKeys
  const unknownKeys = (flags['unknown-keys'] as string | undefined) ?? process.env.SANDBOX_UNKNOWN_KEYS
  if (unknownKeys) {
    if (unknownKeys !== 'drop' && unknownKeys !== 'refuse')
      throw new Error(`--unknown-keys must be drop or refuse, got ${JSON.stringify(unknownKeys)}`)
    options.unknownKeys = unknownKeys
  }
  for (const [flag, key] of [
    ['max-body-bytes', 'maxBodyBytes'],
    ['max-event-bytes', 'maxEventBytes'],
    ['seed', 'seed'],
  ] as const) {
    const value = numberFlag(flags, flag)
    if (value !== undefined) options[key] = value
  }
  return SandboxOptions.parse(options)
}

async function main(): Promise<void> {
  let options: SandboxOptions | undefined
  try {
    options = optionsFromArgs()
  } catch (error) {
    console.error(`[sandbox] ${(error as Error).message}\n\n${HELP}`)
    process.exitCode = 2
    return
  }
  if (!options) return console.log(HELP)
  const sandbox = await startSandbox(options)
  console.log(`PostHog sandbox listening on ${sandbox.url}`)
  console.log(`  project API key: ${sandbox.apiKeys.join(', ')}   host: ${sandbox.url}`)
  console.log(`  capture: POST ${sandbox.url}/batch/  (also /e/, /i/v0/e/, /capture/)`)
  console.log(`  overview: ${sandbox.url}/`)
  console.log(`  query: ${sandbox.url}/_sandbox/stats  /_sandbox/events  /_sandbox/persons  /_sandbox/uuids`)
  console.log(`  control: POST ${sandbox.url}/_sandbox/reset   GET|POST ${sandbox.url}/_sandbox/faults`)
  const shutdown = (signal: string) => {
    console.log(`\n[sandbox] ${signal}: closing`)
    sandbox.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('[sandbox] close failed', error)
        process.exit(1)
      },
    )
  }
  process.once('SIGINT', () => shutdown('SIGINT'))
  process.once('SIGTERM', () => shutdown('SIGTERM'))
}

main().catch((error: unknown) => {
  const code = (error as NodeJS.ErrnoException).code
  console.error(
    `[sandbox] could not start: ${code === 'EADDRINUSE' ? 'the port is in use (try --port 0)' : error}`,
  )
  process.exitCode = 1
})
