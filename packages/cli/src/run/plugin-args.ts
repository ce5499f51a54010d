import { existsSync } from 'node:fs'
import path from 'node:path'
import { Errors } from '@oclif/core'

const INSTALL = new Set(['plugins install', 'plugins add', 'plugins:install', 'plugins:add'])

/** Where an install command's arguments start, or undefined when argv is another command. */
function installArgsFrom(argv: readonly string[]): number | undefined {
  const command = argv[0]?.includes(':') ? 1 : 2
  return INSTALL.has(argv.slice(0, command).join(' ')) ? command : undefined
}

/**
 * oclif says only "<name> does not exist in the registry" when a plugin is not found, naming what it
 * tried last. For a short name it first tried `@ph-import/connector-<name>` (`scopedName`): the message
 * says both, and what to do instead. Other errors are returned as they are.
 */
export function explainInstallError<E extends Error>(
  argv: readonly string[],
  error: E,
  scopedName: (name: string) => string | undefined,
): E {
  if (installArgsFrom(argv) === undefined) return error
  const missing = /^(\S+) does not exist in the registry\.?$/.exec(error.message)?.[1]
  if (missing === undefined) return error
  const scoped = scopedName(missing)
  const names = scoped === undefined ? `no package ${missing}` : `neither ${scoped} nor ${missing}`
  // Third-party connectors are published as ph-import-connector-<name> (docs/authoring.md), a name oclif
  // does not try for a short one.
  const short = !missing.startsWith('@') && !missing.startsWith('ph-import-connector-')
  const fullName = short
    ? ` (a third-party connector installs by its full name: ph-import plugins install ph-import-connector-${missing})`
    : ''
  error.message =
    `${names} is published on the registry npm uses. Check the name${fullName}; ` +
    '`ph-import connectors` lists the installed connectors, and a package you packed yourself installs ' +
    'from its file: ph-import plugins install ./<name>-<version>.tgz'
  return error
}

/**
 * `ph-import plugins install ./x.tgz` as an author would type it after `npm pack`. oclif reads a spec
 * without a colon as a registry name or GitHub shorthand (`./x.tgz` became https://github.com/./x.tgz),
 * and npm runs in oclif's data dir, where a relative `file:` points nowhere: an existing local tarball
 * becomes an absolute `file:` spec; a missing one is a usage error here, not a GitHub URL npm cannot fetch.
 */
export function localTarballSpecs(argv: readonly string[], cwd = process.cwd()): string[] {
  const command = installArgsFrom(argv)
  if (command === undefined) return [...argv]
  return argv.map((arg, i) => {
    if (i < command || arg.startsWith('-') || arg.includes(':')) return arg
    if (!/\.(tgz|tar\.gz)$/.test(arg)) return arg
    const file = path.resolve(cwd, arg)
    if (existsSync(file)) return `file:${file}`
    throw new Errors.CLIError(`no such file: ${arg} (looked for ${file})`, {
      exit: 2,
      suggestions: ['run `npm pack` in the connector’s directory first, then install the .tgz it prints'],
    })
  })
}
