// Helpers shared by the benchmark sections: child processes that print one JSON line, and a table printer.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const here = path.dirname(fileURLToPath(import.meta.url))

/** Runs `node script args`, resolves the last JSON line it printed. */
export function runNode(script, args, { env = {}, timeoutMs = 30 * 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(here, script), ...args.map(String)], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('exit', (code) => {
      clearTimeout(timer)
      const last = out.trim().split('\n').filter(Boolean).pop()
      try {
        resolve({ code, ...JSON.parse(last ?? '{}') })
      } catch {
        reject(new Error(`${script} exited ${code} without a result: ${out.slice(-500)}`))
      }
    })
  })
}

/** Starts a long-lived child that prints {"port":N} first; returns { port, stop }. */
export function startServer(script, args = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(here, script), ...args.map(String)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    child.stdout.setEncoding('utf8').once('data', (d) => {
      try {
        const { port } = JSON.parse(d.split('\n')[0])
        resolve({ port, url: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') })
      } catch (error) {
        reject(error)
      }
    })
    child.on('error', reject)
  })
}

export async function getJson(url, init) {
  const res = await fetch(url, init)
  return res.json()
}

export function table(rows, columns) {
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length)))
  const line = (cells) => cells.map((c, i) => String(c ?? '').padEnd(widths[i])).join('  ')
  return [
    line(columns),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map((r) => line(columns.map((c) => r[c]))),
  ].join('\n')
}

export const fmt = (n, digits = 0) =>
  Number(n).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })

const tempDirs = []
// BENCH_KEEP=1 keeps them, to profile or inspect the staged files afterwards.
process.on('exit', () => {
  if (process.env.BENCH_KEEP) return
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true })
})

/** A temp directory removed when the benchmark exits: a full run stages several GB. */
export function benchTempDir(prefix) {
  const dir = mkdtempSync(path.join(tmpdir(), prefix))
  tempDirs.push(dir)
  return dir
}
