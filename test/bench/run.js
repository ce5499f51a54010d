#!/usr/bin/env node
// `npm run bench` (full) or `npm run bench -- --quick` (CI-sized). Prints tables, writes bench-results/*.json.
import { mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { here, table } from './lib.mjs'
import { benchLoad } from './load.mjs'
import { benchEndToEnd, benchMemory, benchPacing, benchTransform } from './more.mjs'

const quick = process.argv.includes('--quick')
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7)
const results = {
  machine: {
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
  },
  quick,
  sections: {},
}

async function section(name, fn) {
  if (only && only !== name) return
  console.log(`\n## ${name}`)
  const rows = await fn()
  console.log(
    table(
      rows,
      Object.keys(rows[0]).filter((k) => k !== 'raw'),
    ),
  )
  results.sections[name] = rows
}

await section('load', () => (quick ? benchLoad(20_000) : benchLoad(1_000_000, 3)))
await section('transform', () => benchTransform(quick ? 5_000 : 200_000))
await section('memory', () =>
  quick ? benchMemory(10_000, 50_000) : benchMemory(1_000_000, 5_000_000, 10_000_000),
)
await section('pacing', () => benchPacing(2000, quick ? 3 : 30))
await section('e2e', () => benchEndToEnd(quick ? 5_000 : 200_000))

// --out=<file> writes the results elsewhere (the CI smoke test), else bench-results/bench-<size>.json.
const out = process.argv.find((a) => a.startsWith('--out='))?.slice(6)
const file = out
  ? path.resolve(out)
  : path.join(path.resolve(here, '../../bench-results'), `bench-${quick ? 'quick' : 'full'}.json`)
mkdirSync(path.dirname(file), { recursive: true })
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`)
console.log(`\nresults written to ${path.relative(process.cwd(), file)}`)
