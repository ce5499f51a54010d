import { spawn, spawnSync } from 'node:child_process'
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { ConfigError } from '../src/contracts/errors.js'
import { acquireJobLock, jobLockHeld } from '../src/runtime/job-lock.js'

const dir = mkdtempSync(path.join(tmpdir(), 'ph-lock-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A pid no process has any more: a child that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'])
  return Number(child.stdout.toString())
}

// A separate process takes the lock, holds it, and says when: the built lock (dist), as the CLI runs it.
const lockModule = fileURLToPath(new URL('../dist/runtime/job-lock.js', import.meta.url))
const holder = path.join(dir, 'holder.mjs')
writeFileSync(
  holder,
  `import { acquireJobLock } from ${JSON.stringify(lockModule)}
const [file, holdMs] = process.argv.slice(2)
try {
  const unlock = await acquireJobLock(file, 'j')
  const from = Date.now()
  await new Promise((r) => setTimeout(r, Number(holdMs)))
  const to = Date.now()
  await unlock()
  console.log(JSON.stringify({ from, to }))
} catch (error) {
  console.log(JSON.stringify({ refused: error.message }))
}
`,
)

function hold(file: string, holdMs: number): Promise<{ from?: number; to?: number; refused?: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [holder, file, String(holdMs)])
    let out = ''
    child.stdout.on('data', (c) => {
      out += c
    })
    child.on('error', reject)
    child.on('exit', () => resolve(JSON.parse(out)))
  })
}

describe('job lock', () => {
  it('refuses a second run of the job, in this process or another, and frees the job when released', async () => {
    const file = path.join(dir, 'a.lock')
    const unlock = await acquireJobLock(file, 'job-a')
    await expect(acquireJobLock(file, 'job-a')).rejects.toThrow(
      'job job-a is already running in this process',
    )
    expect((await hold(file, 0)).refused).toBe(`job j is already running in process ${process.pid}`)
    await unlock()
    const again = await acquireJobLock(file, 'job-a')
    await again()
  })

  it('takes over a lock left by a killed run, and one naming this pid that this process never took', async () => {
    const file = path.join(dir, 'b.lock')
    writeFileSync(file, String(deadPid())) // the format before the lock had a token
    const unlock = await acquireJobLock(file, 'job-b')
    // The pid, a token of this run, the host.
    expect(readFileSync(file, 'utf8')).toMatch(new RegExp(`^${process.pid} [0-9a-f]{16} ${hostname()} \\S+$`))
    await unlock()
    // Left before a reboot by a process that had this number.
    writeFileSync(file, `${process.pid} 0000000000000000`)
    await (await acquireJobLock(file, 'job-b'))()
    // A draft and a moved-aside lock of runs killed mid-way go too; a live process's stay.
    const dead = deadPid()
    for (const name of [
      `b.lock.${dead}.0a1b2c3d`,
      `b.lock.stale.${dead}.0a1b2c3d`,
      `b.lock.${process.ppid}.0a1b2c3d`,
    ])
      writeFileSync(path.join(dir, name), 'x')
    await (await acquireJobLock(file, 'job-b'))()
    expect(readdirSync(dir).filter((n) => n.startsWith('b.lock.'))).toEqual([
      `b.lock.${process.ppid}.0a1b2c3d`,
    ])
  })

  it('a lock from before the last boot is stale whatever pid it names; one from another host is held', async () => {
    const file = path.join(dir, 'd.lock')
    // A live pid (our parent's), but written long before this machine booted: after a reboot the number
    // is another program's.
    writeFileSync(file, `${process.ppid} 0123456789abcdef ${hostname()}`)
    utimesSync(file, new Date(0), new Date(0))
    expect(await jobLockHeld(file)).toBe(false)
    await (await acquireJobLock(file, 'job-d'))()
    // The same live pid, but another boot of this host (Linux names each boot).
    if (existsSync('/proc/sys/kernel/random/boot_id')) {
      writeFileSync(file, `${process.ppid} 0123456789abcdef ${hostname()} another-boot`)
      expect(await jobLockHeld(file)).toBe(false)
    }
    // Another host's run (a shared state directory; a container job's previous pod) cannot be checked from
    // here: held while its holder keeps touching the lock, stale once it has stopped for two minutes.
    writeFileSync(file, '1 0123456789abcdef other-host')
    expect(await jobLockHeld(file)).toBe(true)
    utimesSync(file, new Date(Date.now() - 3 * 60_000), new Date(Date.now() - 3 * 60_000))
    expect(await jobLockHeld(file)).toBe(false)
    writeFileSync(file, '1 0123456789abcdef other-host')
    const refused = await acquireJobLock(file, 'job-d').catch((error: ConfigError) => error)
    expect(refused).toBeInstanceOf(ConfigError)
    expect((refused as ConfigError).message).toBe(
      'job job-d is already running on host other-host (process 1)',
    )
    expect((refused as ConfigError).hint).toContain(`if no import of it is running, delete ${file}`)
  })

  it('never lets two runs that start together on a stale lock both hold the job', async () => {
    const file = path.join(dir, 'c.lock')
    for (let trial = 0; trial < 6; trial++) {
      writeFileSync(file, `${deadPid()} 0123456789abcdef`)
      const runs = await Promise.all(Array.from({ length: 4 }, () => hold(file, 150)))
      const held = runs.filter((r) => r.from !== undefined).sort((a, b) => a.from! - b.from!)
      expect(held.length, JSON.stringify(runs)).toBeGreaterThan(0)
      for (const r of runs.filter((r) => r.refused))
        expect(r.refused).toMatch(/already running in process \d+/)
      // Each holder's time ends before the next one's begins.
      for (let i = 1; i < held.length; i++) expect(held[i]!.from!).toBeGreaterThanOrEqual(held[i - 1]!.to!)
    }
  })
})
