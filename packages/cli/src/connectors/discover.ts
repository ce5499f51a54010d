import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Interfaces } from '@oclif/core'
import type { AnySource } from '@ph-import/core'

/** A connector the CLI can run: a source definition and the package it came from. */
export interface Connector {
  name: string
  packageName: string
  version: string
  description: string
  /** oclif plugin type: core (bundled with the CLI), user (plugins install) or link (plugins link). */
  origin: string
  root: string
  /** URL of the module whose default export is `source`: worker threads import it themselves. */
  module: string
  source: AnySource
}

interface ConnectorPjson {
  'ph-import'?: { connector?: unknown }
}

/** Duck-typed: a plugin may carry its own copy of @ph-import/core, so `instanceof` and identity do not apply. */
function sourceProblem(value: unknown): string | undefined {
  if (!value || typeof value !== 'object')
    return 'its default export is not a source definition (defineSource)'
  const s = value as Record<string, unknown>
  if (typeof s.name !== 'string' || !/^[a-z][a-z0-9-]*$/.test(s.name))
    return 'its source has no valid `name` (lower-case letters, digits and dashes)'
  const config = s.config as { safeParse?: unknown } | undefined
  if (!config || typeof config.safeParse !== 'function') return 'its source has no zod `config` schema'
  for (const fn of ['plan', 'export', 'transform'])
    if (typeof s[fn] !== 'function') return `its source has no \`${fn}\` function`
  return undefined
}

/**
 * Every loaded oclif plugin whose package.json declares `"ph-import": {"connector": "<module>"}` is a
 * connector: bundled ones (the CLI's `@ph-import/connector-*` dependencies) and user-installed ones alike.
 * A plugin that fails to import or exports something else becomes a warning naming it, never a crash.
 */
export async function discoverConnectors(
  plugins: readonly Interfaces.Plugin[],
): Promise<{ connectors: Connector[]; warnings: string[] }> {
  const connectors: Connector[] = []
  const warnings: string[] = []
  const candidates = plugins.filter((p) => (p.pjson as ConnectorPjson)['ph-import']?.connector !== undefined)
  const loaded = await Promise.all(
    candidates.map(async (plugin) => {
      const entry = (plugin.pjson as ConnectorPjson)['ph-import']?.connector
      try {
        if (typeof entry !== 'string') throw new Error('"ph-import".connector must be a module path')
        const module = pathToFileURL(path.resolve(plugin.root, entry)).href
        const mod = (await import(module)) as { default?: unknown }
        const problem = sourceProblem(mod.default)
        if (problem) throw new Error(problem)
        return { plugin, module, source: mod.default as AnySource }
      } catch (error) {
        const reason = error instanceof Error ? error.message.split('\n')[0] : String(error)
        // A package it imports is not installed: its package.json lacks the dependency. (A file of its own
        // that is missing, as in a linked plugin not built yet, is "Cannot find module", naming the file.)
        const missingPackage = /^Cannot find package '([^']+)'/.exec(reason ?? '')?.[1]
        const fix =
          missingPackage && missingPackage !== '@ph-import/core'
            ? ` (a dependency is missing from ${plugin.name}: ask its author to list ${missingPackage} in package.json, then reinstall it)`
            : ''
        warnings.push(`connector plugin ${plugin.name} was not loaded: ${reason}${fix}`)
        return undefined
      }
    }),
  )
  for (const item of loaded) {
    if (!item) continue
    const { plugin, module, source } = item
    const clash = connectors.find((c) => c.name === source.name)
    if (clash) {
      warnings.push(
        `connector ${source.name} from ${plugin.name} is ignored: ${clash.packageName} (${clash.origin}) already provides it`,
      )
      continue
    }
    connectors.push({
      name: source.name,
      packageName: plugin.name,
      version: plugin.version,
      description: source.description,
      origin: plugin.type,
      root: plugin.root,
      module,
      source,
    })
  }
  return { connectors: connectors.sort((a, b) => a.name.localeCompare(b.name)), warnings }
}
