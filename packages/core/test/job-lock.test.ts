import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import type { ConfigError } from '../src/contracts/errors.js'
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
    // The pid, a token of this run, the host, its boot and its pid namespace.
    expect(readFileSync(file, 'utf8')).toMatch(
      new RegExp(`^${process.pid} [0-9a-f]{16} ${hostname()} \\S+ \\S+$`),
    )
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
    ]) {
      writeFileSync(path.join(dir, name), 'x')
      // A minute old at least: a younger one may be another machine's run mid-way, on a shared disk.
      utimesSync(path.join(dir, name), new Date(Date.now() - 120_000), new Date(Date.now() - 120_000))
    }
    await (await acquireJobLock(file, 'job-b'))()
    expect(readdirSync(dir).filter((n) => n.startsWith('b.lock.'))).toEqual([
      `b.lock.${process.ppid}.0a1b2c3d`,
    ])
  })

  it('a lock from before the last boot is stale whatever pid it names', async () => {
    const file = path.join(dir, 'd.lock')
    // A live pid (our parent's), but written long before this machine booted: after a reboot the number
    // is another program's. With or without a boot id (an older lock, or not Linux).
    for (const content of [
      `${process.ppid} 0123456789abcdef ${hostname()}`,
      `${process.ppid} 0123456789abcdef ${hostname()} another-boot -`,
    ]) {
      writeFileSync(file, content)
      utimesSync(file, new Date(0), new Date(0))
      expect(await jobLockHeld(file)).toBe(false)
      await (await acquireJobLock(file, 'job-d'))()
    }
  })

  it("another machine's lock is watched on this clock: taken over once untouched, refused while touched", async () => {
    const file = path.join(dir, 'e.lock')
    const waits: string[] = []
    const options = { watchMs: 1200, onWait: (m: string) => waits.push(m) }
    // Another host, or this host name on another boot touched since this one (another machine).
    for (const content of [
      '1 0123456789abcdef other-host some-boot -',
      `1 0123456789abcdef ${hostname()} another-boot -`,
    ]) {
      writeFileSync(file, content)
      expect(await jobLockHeld(file)).toBe(true)
      await (await acquireJobLock(file, 'job-e', options))()
    }
    expect(waits[0]).toMatch(/another machine \(other-host\); waiting up to 1 s/)
    // Touched during the watch, as its holder's heartbeat does: its run is going.
    writeFileSync(file, '1 0123456789abcdef other-host some-boot -')
    const toucher = setInterval(() => utimesSync(file, new Date(), new Date()), 200)
    const refused = await acquireJobLock(file, 'job-e', options).catch((error: ConfigError) => error)
    clearInterval(toucher)
    expect((refused as ConfigError).message).toBe(
      'job job-e is already running on host other-host (process 1)',
    )
    expect((refused as ConfigError).hint).toContain(`if no import of it is running, delete ${file}`)
    // A lock of an earlier version from another host is never touched: held until deleted, as it was.
    writeFileSync(file, '1 0123456789abcdef other-host')
    expect(await jobLockHeld(file)).toBe(true)
    await expect(acquireJobLock(file, 'job-e', options)).rejects.toThrow('already running on host other-host')
    rmSync(file)
  })

  it('a holder whose lock was taken over is told at once, and its release leaves the other lock', async () => {
    const file = path.join(dir, 'f.lock')
    const lost: string[] = []
    const release = await acquireJobLock(file, 'job-f', {
      heartbeatMs: 50,
      onLost: (e) => lost.push(e.message),
    })
    writeFileSync(file, '1 0123456789abcdef other-host some-boot -')
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(lost).toEqual(['another run took over the lock of job job-f while this one held it'])
    await release()
    expect(readFileSync(file, 'utf8')).toBe('1 0123456789abcdef other-host some-boot -')
    rmSync(file)
    // Deleted (a user who took the run for a dead one): said so.
    const deleted: string[] = []
    const again = await acquireJobLock(file, 'job-f', {
      heartbeatMs: 50,
      onLost: (e) => deleted.push(e.message),
    })
    rmSync(file)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(deleted).toEqual(['the lock of job job-f was deleted while this run held it'])
    await again()
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
