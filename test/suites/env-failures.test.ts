import { execFileSync } from 'node:child_process'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import path from 'node:path'
import { type Sandbox, startSandbox } from '@ph-import/sandbox'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Case, goodCsvRows } from './helpers/bad-rows.js'
import { cliEnv, commonFlags, runCli, startCli, summaryOf, tempDir } from './helpers/cli.js'
import { expectExactAccounting, expectExactDelivery, readReport } from './helpers/verify.js'

let dir: string
let sandbox: Sandbox
let rows: Case[]
let csv: string

beforeAll(async () => {
  dir = await tempDir('env')
  sandbox = await startSandbox({ port: 0, dataDir: ':memory:' })
  rows = goodCsvRows(20_000)
  csv = path.join(dir, 'events.csv')
  await writeFile(
    csv,
    Buffer.concat([Buffer.from('event,distinct_id,timestamp,id,payload\n'), ...rows.map((r) => r.bytes)]),
  )
})
afterAll(async () => {
  await sandbox?.close()
  if (dir) await rm(dir, { recursive: true, force: true })
})

const csvArgs = () => ['csv', '--files', csv, '--id-column', 'id', '--rate', '50000']

/** The same command again, conditions fixed: it must finish the job with every row exactly once. */
async function expectResumedWithoutLoss(args: string[], host: Sandbox) {
  const again = await runCli(args, { cwd: dir, env: cliEnv(dir) })
  expect(again.code, again.stderr).toBe(0)
  const report = await readReport(summaryOf(again).jobDir)
  expectExactAccounting(report)
  expectExactDelivery(
    rows.map((r) => r.uuid!),
    host.uniqueUuids(),
  )
  expect(report.events.loaded).toBe(rows.length)
  const stats = host.stats()
  expect(stats.conflicting_uuids).toBe(0)
  return stats
}

/** A small tmpfs, when this machine lets us mount one (root with CAP_SYS_ADMIN; not in most containers). */
function mountTmpfs(at: string, size: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', at], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

describe('environment failures: a clear error, a non-zero exit, and the same command resumes without loss', () => {
  it('a state directory that cannot be created (its parent is a regular file; chmod does not stop root)', async () => {
    sandbox.reset()
    const blocker = path.join(dir, 'blocker')
    await writeFile(blocker, 'a file where the state directory should be')
    const args = [...csvArgs(), ...commonFlags(path.join(blocker, 'state'), sandbox.url)]
    const failed = await runCli(args, { cwd: dir, env: cliEnv(dir) })
    // A state directory that cannot be created is the user's to fix: exit 2, naming the directory.
    expect(failed.code).toBe(2)
    expect(failed.stdout + failed.stderr).toMatch(
      /cannot create the job directory .*(ENOTDIR|not a directory)/i,
    )
    expect(failed.stdout + failed.stderr).toContain(blocker)
    expect(sandbox.stats().received).toBe(0)

    await rm(blocker)
    const stats = await expectResumedWithoutLoss(args, sandbox)
    expect(stats.duplicates).toBe(0)
  })

  const disk = path.join('/tmp', `ph-proof-disk-${process.pid}`)
  let mounted = false
  it('a full disk under the state directory (a 1 MB tmpfs), then the same disk grown', async (ctx) => {
    await mkdir(disk, { recursive: true })
    mounted = mountTmpfs(disk, '1m')
    if (!mounted) {
      ctx.skip(`cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN); full disk not simulated`)
      return
    }
    sandbox.reset()
    const args = [...csvArgs(), ...commonFlags(path.join(disk, 'state'), sandbox.url)]
    const failed = await runCli(args, { cwd: dir, env: cliEnv(dir) })
    expect(failed.code).toBe(1)
    expect(failed.stdout + failed.stderr).toMatch(
      /cannot write the job directory .*the disk is full \(ENOSPC\)/,
    )

    execFileSync('mount', ['-o', 'remount,size=256m', disk])
    const stats = await expectResumedWithoutLoss(args, sandbox)
    console.log(`full disk: first run exit ${failed.code}, resumed with ${stats.duplicates} resent`)
  })

  afterAll(async () => {
    if (mounted) execFileSync('umount', [disk])
    await rm(disk, { recursive: true, force: true })
  })

  it('an unreachable PostHog host (a closed port on 127.0.0.1), then the host comes up', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number }
        probe.close(() => resolve(port))
      })
    })
    const host = `http://127.0.0.1:${port}`
    const args = [...csvArgs(), ...commonFlags(path.join(dir, 'state-unreachable'), host)]
    const run = startCli(args, { cwd: dir, env: cliEnv(dir) })
    const retries: string[] = []
    run.onLine((line) => {
      if (line.type === 'retry' && line.stage === 'load') retries.push(line.message)
    })
    // A host that never answered and refuses connections is a wrong host, not a hiccup: core gives up
    // after a few attempts with a message naming it, instead of backing off for minutes.
    const failed = await run.done
    expect(failed.code).toBe(1)
    expect(retries[0]).toContain(host)
    expect(retries[0]).toMatch(/ECONNREFUSED/)
    expect(`${failed.stdout}${failed.stderr}`).toContain(`cannot reach PostHog ${host} (ECONNREFUSED)`)

    const late = await startSandbox({ port, dataDir: ':memory:' })
    try {
      const stats = await expectResumedWithoutLoss(args, late)
      expect(stats.duplicates).toBe(0)
    } finally {
      await late.close()
    }
  })
})
