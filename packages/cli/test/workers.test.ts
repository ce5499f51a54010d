import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { startFakeAmplitude } from '@ph-import/connector-amplitude/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { JsonLine } from '../src/json-output.js'
import { cli, isolatedEnv, jsonLines, tempDir } from './helpers.js'

let dir: string
let fake: Awaited<ReturnType<typeof startFakeAmplitude>>
let env: NodeJS.ProcessEnv
beforeAll(async () => {
  dir = await tempDir()
  fake = await startFakeAmplitude({
    seed: 8,
    start: '2024-01-01T00:00:00Z',
    end: '2024-01-04T00:00:00Z',
    events: 1500,
    users: 30,
  })
  env = isolatedEnv(dir, { AMPLITUDE_API_KEY: fake.apiKey, AMPLITUDE_SECRET_KEY: fake.secretKey })
  // The hook must reach the workers too: they import it from its file.
  await writeFile(
    path.join(dir, 'tag.mjs'),
    'export default (event) => ({ ...event, properties: { ...event.properties, tagged: true } })\n',
  )
})
afterAll(() => fake.close())

async function dryRun(output: string, extra: string[]) {
  const r = await cli(
    [
      'amplitude',
      '--base-url',
      fake.url,
      '--start',
      '2024-01-01',
      '--end',
      '2024-01-03',
      '--transform',
      'tag.mjs',
      '--dry-run',
      '--output',
      output,
      '--json',
      ...extra,
    ],
    { cwd: dir, env },
  )
  expect(r.code, r.stderr).toBe(0)
  const summary = jsonLines(r.stdout)
    .map((l) => JsonLine.parse(l))
    .at(-1)
  if (summary?.type !== 'summary') throw new Error(`no summary: ${r.stdout}`)
  return { summary, lines: (await readFile(path.join(dir, output), 'utf8')).trim().split('\n') }
}

describe('--workers', () => {
  it('stages byte for byte what a serial run stages, the --transform hook applied on the workers', async () => {
    const serial = await dryRun('serial.jsonl', [])
    const parallel = await dryRun('parallel.jsonl', ['--workers', '2'])
    expect(parallel.lines.length).toBeGreaterThan(1000)
    expect(parallel.lines).toEqual(serial.lines)
    expect(parallel.lines.every((l) => JSON.parse(l).properties.tagged === true)).toBe(true)
    expect(parallel.summary.report.eventsByName).toEqual(serial.summary.report.eventsByName)
    expect(parallel.summary.report.partitions.total).toBeGreaterThan(2)
  })
})
