import { readFileSync } from 'node:fs'
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export interface ScaffoldOptions {
  /** The connector name: lowercase, digits and dashes (`ph-import <name>` runs it). */
  name: string
  /** The package directory to create (must not exist, or be empty). */
  dir: string
  /** Default `ph-import-connector-<name>`; a scope of your own: `@you/ph-import-connector-<name>`. */
  packageName?: string
}

export interface ScaffoldResult {
  dir: string
  packageName: string
  /** Paths written, relative to `dir`. */
  files: string[]
}

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/
/** From dist/scaffold/ or src/scaffold/, the template sits at the package root. */
const TEMPLATE_DIR = fileURLToPath(new URL('../../template/', import.meta.url))
const PACKAGE_JSON = fileURLToPath(new URL('../../package.json', import.meta.url))

function words(name: string) {
  return name.split('-').map((w) => w[0]!.toUpperCase() + w.slice(1))
}

/**
 * The template is a working connector named `acme`: `Acme` becomes PascalCase, `ACME` CONSTANT_CASE,
 * `acme` before a capital (an identifier such as acmeSource) camelCase, any other `acme` the name.
 */
export function renameAcme(text: string, name: string): string {
  const pascal = words(name).join('')
  const camel = pascal[0]!.toLowerCase() + pascal.slice(1)
  return text
    .replace(/Acme/g, pascal)
    .replace(/ACME/g, name.replace(/-/g, '_').toUpperCase())
    .replace(/acme(?=[A-Z])/g, camel)
    .replace(/acme/g, name)
}

function versions(): Record<string, string> {
  const pkg = JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as {
    version: string
    dependencies?: Record<string, string>
  }
  const core = pkg.dependencies?.['@ph-import/core'] ?? pkg.version
  const caret = (v: string) => (/^\d/.test(v) ? `^${v}` : v)
  return { __CORE_VERSION__: caret(core), __TESTKIT_VERSION__: caret(pkg.version), __ZOD_VERSION__: '^4.1.0' }
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const rel = path.join(prefix, entry.name)
    if (entry.isDirectory()) out.push(...(await listFiles(path.join(dir, entry.name), rel)))
    else out.push(rel)
  }
  return out.sort()
}

/** `gitignore.tmpl` → `.gitignore` (npm drops a shipped .gitignore), `x.tmpl` → `x`. */
function targetName(rel: string): string {
  const base = path.basename(rel) === 'gitignore.tmpl' ? path.join(path.dirname(rel), '.gitignore') : rel
  return base.endsWith('.tmpl') ? base.slice(0, -'.tmpl'.length) : base
}

/** Writes a new connector package (config, export, fake server, transform, conformance test) into `dir`. */
export async function scaffoldConnector(options: ScaffoldOptions): Promise<ScaffoldResult> {
  if (!NAME.test(options.name)) {
    throw new Error(
      `[ph-import] connector name "${options.name}" must be lowercase letters, digits and single dashes, starting with a letter (e.g. "hubspot" or "google-analytics")`,
    )
  }
  const dir = path.resolve(options.dir)
  const existing = await readdir(dir).catch(() => [])
  if (existing.length > 0) throw new Error(`[ph-import] ${dir} is not empty: choose a new directory`)
  const packageName = options.packageName ?? `ph-import-connector-${options.name}`
  const tokens = { ...versions(), __PACKAGE_NAME__: packageName }
  const files: string[] = []
  for (const rel of await listFiles(TEMPLATE_DIR)) {
    let text = renameAcme(await readFile(path.join(TEMPLATE_DIR, rel), 'utf8'), options.name)
    for (const [token, value] of Object.entries(tokens)) text = text.replaceAll(token, value)
    const target = targetName(rel)
    await mkdir(path.dirname(path.join(dir, target)), { recursive: true })
    await writeFile(path.join(dir, target), text)
    files.push(target)
  }
  return { dir, packageName, files }
}
