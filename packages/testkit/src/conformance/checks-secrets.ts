import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { gunzipSync } from 'node:zlib'
import { secretValues } from '@ph-import/core'
import { type ImportRun, importOnce, parseConfig } from './harness.js'
import { CheckSkipped, type ConformanceCheck, fail } from './types.js'

async function* filesUnder(dir: string): AsyncGenerator<string> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => [])
  for (const entry of entries) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) yield* filesUnder(full)
    else if (entry.isFile()) yield full
  }
}

async function readText(file: string): Promise<string> {
  const bytes = await readFile(file)
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      return gunzipSync(bytes).toString('utf8')
    } catch {
      return bytes.toString('latin1')
    }
  }
  return bytes.toString('utf8')
}

/** Where each secret turned up: "state/jobs/x/state.json", "log: source:info", "report error". */
async function leaks(run: ImportRun, secrets: readonly string[], root: string): Promise<string[]> {
  const found: string[] = []
  const has = (text: string) => secrets.some((s) => text.includes(s))
  for await (const file of filesUnder(path.dirname(run.stateDir))) {
    if (has(await readText(file))) found.push(path.relative(root, file))
  }
  for (const entry of run.logs)
    if (has(JSON.stringify(entry)))
      found.push(`log ${entry.level} [${entry.scope}]: ${entry.message.slice(0, 80)}`)
  for (const event of run.progress) if (has(JSON.stringify(event))) found.push(`progress event ${event.type}`)
  if (has(JSON.stringify(run.result))) found.push('the run result')
  return found
}

export const secretsStayHidden: ConformanceCheck = {
  name: 'secrets_stay_hidden',
  description:
    'no secret appears in state files, staged data, the report, rejects, logs, progress or error text',
  async run(env) {
    const { fake, config } = await env.setup()
    const secrets = secretValues(env.source.config, parseConfig(env.source, config))
    if (secrets.length === 0) throw new CheckSkipped('the config has no secret values')
    const runs = [await importOnce({ env, config, name: 'secrets-ok' })]
    const faults = fake?.faults
    if (faults) {
      runs.push(
        await importOnce({
          env,
          config,
          name: 'secrets-401',
          onProgress: (e) => {
            if (e.type === 'plan') faults.failAuth(401)
          },
        }),
      )
      faults.clear()
      runs.push(
        await importOnce({
          env,
          config,
          name: 'secrets-429',
          onProgress: (e) => {
            if (e.type === 'plan') faults.rateLimitNext(1, 0)
          },
        }),
      )
    }
    const found: string[] = []
    for (const run of runs) found.push(...(await leaks(run, secrets, env.tmp)))
    if (found.length > 0) fail(`a secret appears in: ${[...new Set(found)].slice(0, 6).join('; ')}`)
    return `${secrets.length} secret value(s) absent from ${runs.length} runs' files, logs and errors`
  },
}
