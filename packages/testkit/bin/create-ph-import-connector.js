#!/usr/bin/env node
// Usage: create-ph-import-connector <name> [dir]   (npm create ph-import-connector <name>)
import path from 'node:path'
import { scaffoldConnector } from '../dist/index.js'

const [name, dir] = process.argv.slice(2)
if (!name || name === '--help' || name === '-h') {
  console.log(
    'Usage: create-ph-import-connector <name> [dir]\n\nWrites a new ph-import connector package into dir (default ./ph-import-connector-<name>).',
  )
  process.exit(name ? 0 : 2)
}
try {
  const result = await scaffoldConnector({ name, dir: dir ?? `ph-import-connector-${name}` })
  const rel = path.relative(process.cwd(), result.dir) || '.'
  console.log(`Created ${result.packageName} in ${rel} (${result.files.length} files).\n`)
  console.log(
    `Next:\n  cd ${rel}\n  npm install\n  npm test        # conformance suite against the fake API\n  npm pack        # then: ph-import plugins install ./${result.packageName}-0.1.0.tgz`,
  )
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error))
  process.exit(2)
}
