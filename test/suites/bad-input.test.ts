import { rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { type Sandbox, startSandbox } from '@ph-import/sandbox'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { badCsvRows, badJsonlRows, type Case, goodCsvRows, goodJsonlRows } from './helpers/bad-rows.js'
import { cliEnv, commonFlags, runCli, summaryOf, tempDir } from './helpers/cli.js'
import { expectExactAccounting, expectExactDelivery, readRejects, readReport } from './helpers/verify.js'

let dir: string
let sandbox: Sandbox

beforeAll(async () => {
  dir = await tempDir('bad-input')
  sandbox = await startSandbox({ port: 0, dataDir: ':memory:' })
})
afterAll(async () => {
  await sandbox?.close()
  if (dir) await rm(dir, { recursive: true, force: true })
})

/** Good and bad rows interleaved, so a bad row never hides at the edges of a page. */
function interleave(good: Case[], bad: Case[]): Case[] {
  const out: Case[] = []
  const step = Math.max(1, Math.floor(good.length / bad.length))
  let b = 0
  good.forEach((g, i) => {
    out.push(g)
    if (i % step === step - 1 && b < bad.length) out.push(bad[b++]!)
  })
  return [...out, ...bad.slice(b)]
}

async function importAndCheck(args: string[], cases: Case[]) {
  sandbox.reset()
  const stateDir = path.join(dir, `state-${args[0]}`)
  const result = await runCli([...args, ...commonFlags(stateDir, sandbox.url)], {
    cwd: dir,
    env: cliEnv(dir),
  })
  expect(result.code, result.stderr).toBe(0)
  const summary = summaryOf(result)
  const report = await readReport(summary.jobDir)
  expectExactAccounting(report)

  // Each bad row dead-lettered exactly once, with its reason.
  const rejects = await readRejects(summary.jobDir)
  const want: Record<string, number> = {}
  for (const c of cases) if (c.code) want[c.code] = (want[c.code] ?? 0) + 1
  const got: Record<string, number> = {}
  for (const r of rejects) got[r.code] = (got[r.code] ?? 0) + 1
  expect(got).toEqual(want)
  expect(report.rejectsByCode).toEqual(want)
  for (const c of cases.filter((x) => x.code && x.marker)) {
    const hits = rejects.filter((r) => `${r.message}${JSON.stringify(r.record)}`.includes(c.marker!))
    expect(
      hits.map((h) => h.code),
      c.name,
    ).toEqual([c.code])
  }

  // The good ones delivered, once each; a row without a usable uuid got a derived one.
  const delivered = cases.filter((c) => !c.code)
  const derived = delivered.filter((c) => !c.uuid)
  const derivedUuids = derived.map((c) => {
    const stored = sandbox.events({ distinct_id: c.distinctId! })
    expect(stored, c.name).toHaveLength(1)
    return stored[0]!.uuid
  })
  expectExactDelivery(
    [...delivered.flatMap((c) => (c.uuid ? [c.uuid] : [])), ...derivedUuids],
    sandbox.uniqueUuids(),
  )
  expect(sandbox.stats()).toMatchObject({ duplicates: 0, conflicting_uuids: 0 })
  expect(report.events.loaded).toBe(delivered.length)
  return { rejects, report }
}

describe('bad input: every malformed row dead-lettered once with its reason, the good ones delivered', () => {
  it('CSV', async () => {
    const cases = interleave(goodCsvRows(3000), badCsvRows())
    // An unclosed quote swallows the rest of the file, so it can only be the last row.
    cases.push({
      name: 'unclosed quote',
      bytes: Buffer.from('signup,"open-1,2024-01-15T10:00:00Z,x,p\n'),
      code: 'unclosed_quote',
    })
    const file = path.join(dir, 'bad.csv')
    await writeFile(
      file,
      Buffer.concat([Buffer.from('event,distinct_id,timestamp,id,payload\n'), ...cases.map((c) => c.bytes)]),
    )
    const { rejects } = await importAndCheck(['csv', '--files', file, '--id-column', 'id'], cases)
    expect(rejects.find((r) => r.code === 'unclosed_quote')?.message).toMatch(/never closed/)
  })

  it('JSON lines', async () => {
    const cases = interleave(goodJsonlRows(3000), badJsonlRows())
    const file = path.join(dir, 'bad.jsonl')
    await writeFile(file, Buffer.concat(cases.map((c) => c.bytes)))
    await importAndCheck(['jsonl', '--files', file], cases)
  })
})
