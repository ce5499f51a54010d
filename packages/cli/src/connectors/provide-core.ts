import { lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync, symlinkSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The directory of the @ph-import/core this CLI runs with. */
function cliCoreRoot(): string | undefined {
  let dir = path.dirname(fileURLToPath(import.meta.resolve('@ph-import/core')))
  for (; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    try {
      const pjson = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string }
      if (pjson.name === '@ph-import/core') return dir
    } catch {
      // no package.json here: keep walking up
    }
  }
  return undefined
}

/**
 * Connector plugins import @ph-import/core, which they declare as a peer: the CLI's own copy is the one
 * they run with, so contracts and error kinds are the CLI's, and installing a plugin never needs
 * @ph-import/core from a registry. npm is told not to fetch peers (`legacyPeerDeps`, for `plugins`
 * commands); this links the CLI's copy into the plugins' node_modules, where Node finds it from any
 * installed plugin (and, through the link's real path, as the very module the CLI loaded). Done at
 * each start, because npm removes links it did not make when it installs the next plugin. A plugin that
 * brought its own copy keeps it. Failures are left to the plugin's own load, which names them.
 */
export function provideCoreToPlugins(dataDir: string): void {
  const modules = path.join(dataDir, 'node_modules')
  const link = path.join(modules, '@ph-import', 'core')
  try {
    if (!lstatSync(modules).isDirectory()) return
  } catch {
    return // no plugin installed yet
  }
  const target = cliCoreRoot()
  if (!target) return
  try {
    const existing = lstatSync(link, { throwIfNoEntry: false })
    if (existing && !existing.isSymbolicLink()) return
    if (existing && path.resolve(path.dirname(link), readlinkSync(link)) === target) return
    if (existing) rmSync(link)
    mkdirSync(path.dirname(link), { recursive: true })
    symlinkSync(target, link, process.platform === 'win32' ? 'junction' : 'dir')
  } catch {
    // A read-only data dir: plugins that brought their own core still load; the others say what failed.
  }
}

/** For `plugins install/update`: npm must not fetch @ph-import/core as a peer (see provideCoreToPlugins). */
export function npmWithoutPeers(argv: readonly string[]): void {
  if (argv[0] === 'plugins' || argv[0]?.startsWith('plugins:'))
    process.env.npm_config_legacy_peer_deps = 'true'
}
