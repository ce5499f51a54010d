import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { SandboxClient } from '../src/index.js'
import { makeEvents, sendBatch } from './helpers.js'

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url))

function startCli(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, ...env } })
  let output = ''
  const url = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)
      // The banner ends with the control endpoints.
      if (match?.[1] && output.includes('/_sandbox/faults')) resolve(match[1])
    })
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${output}`)))
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  return { child, url, exited, output: () => output }
}

// Needs `npm run build` first (turbo runs build before test).
describe.skipIf(!existsSync(MAIN))('CLI (dist/main.js)', () => {
  it('prints the URL, key and endpoints, takes fault flags and env, and exits cleanly on SIGTERM', async () => {
    const cli = startCli(['--port', '0', '--data-dir', ':memory:', '--error-rate', '0'], {
      SANDBOX_RATE_LIMIT: '5',
    })
    const url = await cli.url
    expect(cli.output()).toContain('phc_sandbox')
    expect(cli.output()).toContain('/_sandbox/stats')
    const client = new SandboxClient(url)
    expect(await client.faults()).toMatchObject({ rateLimit: 5, errorRate: 0 })
    expect((await sendBatch({ url }, makeEvents(5))).status).toBe(200)
    expect((await sendBatch({ url }, makeEvents(5))).status).toBe(429)
    expect((await client.stats()).received).toBe(5)
    cli.child.kill('SIGTERM')
    expect(await cli.exited).toBe(0)
  })

  it('refuses a bad flag with exit code 2 and the usage', async () => {
    const cli = startCli(['--rate-limit', 'fast'])
    cli.url.catch(() => undefined)
    expect(await cli.exited).toBe(2)
  })
})
