// A read-only npm registry on 127.0.0.1 that serves packages already on disk (the workspace's
// node_modules). `plugins install <tarball>` runs a real `npm install`, which must fetch the plugin's
// dependencies (not its peer @ph-import/core: the CLI provides its own); pointing npm here lets it resolve
// them exactly as it would against npmjs, with no network.
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, realpathSync } from 'node:fs'
import { readdir, readFile, stat } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { promisify } from 'node:util'
import { gzipSync } from 'node:zlib'

const run = promisify(execFile)

interface Manifest {
  name: string
  version: string
  dependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  peerDependenciesMeta?: Record<string, { optional?: boolean }>
}

export interface LocalRegistry {
  url: string
  /** `name@version` of every package served. */
  packages: string[]
  /** Paths npm asked for, in order. */
  requests: string[]
  close(): Promise<void>
}

/** Node's lookup: `<dir>/node_modules/<name>`, then each parent's. */
export function findPackage(from: string, name: string): string | undefined {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name)
    if (existsSync(path.join(candidate, 'package.json'))) return realpathSync(candidate)
    if (dir === path.dirname(dir)) return undefined
  }
}

const readManifest = async (dir: string) =>
  JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as Manifest

/** What npm installs for a package: its dependencies, optional dependencies and required peers. */
export function installedNames(m: Manifest): string[] {
  const peers = Object.keys(m.peerDependencies ?? {}).filter((n) => !m.peerDependenciesMeta?.[n]?.optional)
  return [...Object.keys(m.dependencies ?? {}), ...Object.keys(m.optionalDependencies ?? {}), ...peers]
}

async function closure(roots: string[]): Promise<Map<string, { dir: string; manifest: Manifest }>> {
  const found = new Map<string, { dir: string; manifest: Manifest }>()
  const visit = async (dir: string): Promise<void> => {
    const manifest = await readManifest(dir)
    const key = `${manifest.name}@${manifest.version}`
    if (found.has(key)) return
    found.set(key, { dir, manifest })
    for (const name of installedNames(manifest)) {
      const dep = findPackage(dir, name)
      if (!dep) throw new Error(`${key} needs ${name}, which is not installed in the workspace`)
      await visit(dep)
    }
  }
  for (const root of roots) await visit(root)
  return found
}

/** One ustar header: `package/<rel>`, long paths split into prefix + name as the format allows. */
function tarHeader(rel: string, size: number, mode: number): Buffer {
  const header = Buffer.alloc(512)
  let name = `package/${rel}`
  let prefix = ''
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', 155)
    prefix = name.slice(0, cut)
    name = name.slice(cut + 1)
  }
  const octal = (value: number, width: number) => `${value.toString(8).padStart(width - 1, '0')}\0`
  header.write(name, 0)
  header.write(octal(mode & 0o777, 8), 100)
  header.write(octal(0, 8), 108)
  header.write(octal(0, 8), 116)
  header.write(octal(size, 12), 124)
  header.write(octal(0, 12), 136)
  header.write('        ', 148)
  header.write('0', 156)
  header.write('ustar\u000000', 257)
  header.write(prefix, 345)
  let sum = 0
  for (const byte of header) sum += byte
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148)
  return header
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = path.posix.join(prefix, entry.name)
    // Nested node_modules hold other packages, served (and installed) on their own.
    if (entry.isDirectory() && entry.name !== 'node_modules') out.push(...(await listFiles(dir, rel)))
    else if (entry.isFile()) out.push(rel)
  }
  return out
}

/** An installed package is already its published contents: tar them as npm pack would lay them out. */
async function tarInstalled(dir: string): Promise<Buffer> {
  const chunks: Buffer[] = []
  for (const rel of (await listFiles(dir)).sort()) {
    const body = await readFile(path.join(dir, rel))
    chunks.push(tarHeader(rel, body.length, (await stat(path.join(dir, rel))).mode), body)
    chunks.push(Buffer.alloc((512 - (body.length % 512)) % 512))
  }
  chunks.push(Buffer.alloc(1024))
  return gzipSync(Buffer.concat(chunks), { level: 1 })
}

/** A workspace package has sources and tests beside dist/: `npm pack` applies its `files` list. */
async function packWorkspace(dir: string, out: string): Promise<Buffer> {
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', out], {
    cwd: dir,
  })
  const [info] = JSON.parse(stdout.slice(stdout.indexOf('['))) as Array<{ filename: string }>
  if (!info) throw new Error(`npm pack printed nothing for ${dir}`)
  return readFile(path.join(out, info.filename))
}

/** Serves `roots` and everything they install; `scratch` receives the workspace packages' tarballs. */
export async function startLocalRegistry(roots: string[], scratch: string): Promise<LocalRegistry> {
  const tarballs = new Map<string, Buffer>()
  const packuments = new Map<string, { name: string; versions: Record<string, object> }>()
  const requests: string[] = []
  let url = ''
  const server = createServer((req, res) => {
    const route = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
    requests.push(route)
    const tarball = tarballs.get(route)
    const packument = packuments.get(route.slice(1))
    if (tarball) res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(tarball)
    else if (packument) {
      const latest = Object.keys(packument.versions).at(-1) ?? ''
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ ...packument, 'dist-tags': { latest } }))
    } else res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not found"}')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const packages = await closure(roots)
  for (const [key, { dir, manifest }] of packages) {
    const inNodeModules = dir.split(path.sep).includes('node_modules')
    const body = inNodeModules ? await tarInstalled(dir) : await packWorkspace(dir, scratch)
    const file = `/${manifest.name}/-/${manifest.name.split('/').at(-1)}-${manifest.version}.tgz`
    tarballs.set(file, body)
    const packument = packuments.get(manifest.name) ?? { name: manifest.name, versions: {} }
    packuments.set(manifest.name, packument)
    packument.versions[manifest.version] = {
      ...manifest,
      _id: key,
      dist: {
        tarball: `${url}${file}`,
        integrity: `sha512-${createHash('sha512').update(body).digest('base64')}`,
        shasum: createHash('sha1').update(body).digest('hex'),
      },
    }
  }
  return {
    url,
    packages: [...packages.keys()],
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
