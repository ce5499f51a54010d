import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The child-process crash test runs the built package, so build it once before the suite. */
export default function setup(): void {
  const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  execFileSync(process.execPath, [tsc, '-p', path.join(pkg, 'tsconfig.build.json')], { stdio: 'inherit' })
}
