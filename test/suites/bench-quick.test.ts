import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { expect, it } from 'vitest'
import { REPO, tempDir } from './helpers/cli.js'

interface Row {
  [column: string]: unknown
  raw?: unknown
}
interface Results {
  quick: boolean
  sections: Record<string, Row[]>
}

// The benchmark is not part of the test run (it takes ~12 minutes); its quick variant is, so the harness
// keeps working. This checks that every section ran and what it measured is sound. No timing is asserted:
// throughput belongs in docs/performance.md, not in a pass/fail.
it('the quick benchmark runs every section and delivers every event', async () => {
  const out = path.join(await tempDir('bench'), 'bench-quick.json')
  const child = spawn(process.execPath, [path.join(REPO, 'test/bench/run.js'), '--quick', `--out=${out}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (d) => {
    output += d
  })
  child.stderr.on('data', (d) => {
    output += d
  })
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  expect(code, output.slice(-3000)).toBe(0)

  const results = JSON.parse(await readFile(out, 'utf8')) as Results
  expect(results.quick).toBe(true)
  expect(Object.keys(results.sections).sort()).toEqual(['e2e', 'load', 'memory', 'pacing', 'transform'])

  const load = results.sections.load!
  expect(load.map((r) => r.contender)).toEqual(['ph-import', 'posthog-node careful', 'posthog-node naive'])
  expect(load[0]!.delivered).toBe('100.0%')
  expect(load[1]!.delivered).toBe('100.0%')

  const transform = results.sections.transform!
  // Each connector serial and on worker threads: the same records in, the same events out.
  expect(transform.map((r) => r.connector)).toEqual(
    ['csv', 'jsonl', 'amplitude', 'mixpanel'].flatMap((c) => [c, c]),
  )
  expect(transform.map((r, i) => (i % 2 === 0) === (r.workers === 'none'))).not.toContain(false)
  for (const row of transform) expect(Number(String(row.records).replace(/,/g, ''))).toBeGreaterThan(0)
  for (let i = 0; i < transform.length; i += 2)
    expect([transform[i + 1]!.records, transform[i + 1]!.events]).toEqual([
      transform[i]!.records,
      transform[i]!.events,
    ])

  // The pacing run loaded every event it sent, each once.
  const [pacing] = results.sections.pacing!
  expect(pacing!.unique).toBe(pacing!.events)
  const e2e = results.sections.e2e ?? []
  expect(e2e.length).toBeGreaterThan(0)
  for (const row of e2e) {
    expect(Number(String(row['events loaded']).replace(/,/g, ''))).toBeGreaterThan(0)
  }
}, 600_000)
