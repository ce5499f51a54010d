import { existsSync } from 'node:fs'
import path from 'node:path'

const INSTALL = new Set(['plugins install', 'plugins add', 'plugins:install', 'plugins:add'])

/**
 * `ph-import plugins install ./x.tgz` as an author would type it after `npm pack`. oclif reads a spec
 * without a colon as a registry name or GitHub shorthand (`./x.tgz` became https://github.com/./x.tgz),
 * and npm runs in oclif's data dir, where a relative `file:` points nowhere: an existing local tarball
 * becomes an absolute `file:` spec.
 */
export function localTarballSpecs(argv: readonly string[], cwd = process.cwd()): string[] {
  const command = argv[0]?.includes(':') ? 1 : 2
  if (!INSTALL.has(argv.slice(0, command).join(' '))) return [...argv]
  return argv.map((arg, i) => {
    if (i < command || arg.startsWith('-') || arg.includes(':')) return arg
    if (!/\.(tgz|tar\.gz)$/.test(arg)) return arg
    const file = path.resolve(cwd, arg)
    return existsSync(file) ? `file:${file}` : arg
  })
}
