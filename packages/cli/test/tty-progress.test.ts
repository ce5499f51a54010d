import { spawn, spawnSync } from 'node:child_process'
import path from 'node:path'
import { startSandbox } from '@ph-import/sandbox'
import { expect, it } from 'vitest'
import { BIN, isolatedEnv, tempDir, writeEventsCsv } from './helpers.js'

// util-linux `script` runs the CLI on a real pseudo-terminal (Debian has it in an essential package).
const hasScript = spawnSync('script', ['--version']).status === 0
const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`

it.skipIf(!hasScript)(
  'on a terminal: a live status line redrawn in place, cleared before the report',
  async () => {
    const dir = await tempDir()
    await writeEventsCsv(path.join(dir, 'events.csv'), 800)
    const sandbox = await startSandbox({ port: 0, dataDir: ':memory:' })
    try {
      // 300 events/s keeps the job alive for a few of the once-a-second status updates.
      const args = ['csv', '--files', 'events.csv', '--rate', '300', '--yes', '--state-dir', 'state']
      const command = [process.execPath, BIN, ...args].map(quote).join(' ')
      const child = spawn('script', ['-qec', command, '/dev/null'], {
        cwd: dir,
        env: isolatedEnv(dir, { POSTHOG_HOST: sandbox.url, POSTHOG_PROJECT_API_KEY: 'phc_sandbox' }),
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let screen = ''
      child.stdout.on('data', (d: Buffer) => {
        screen += d.toString()
      })
      child.stderr.on('data', (d: Buffer) => {
        screen += d.toString()
      })
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
      expect(code, screen).toBe(0)

      // The pty nobody sized reports 0 columns: the status must still be drawn.
      const redraws = screen.split('\r\x1b[K').slice(1)
      const status = redraws.filter((r) => r.startsWith('export '))
      expect(status.length, screen).toBeGreaterThanOrEqual(1)
      for (const s of status) {
        expect(s).toMatch(
          /^export \d+\/\d+ · transform \d+\/\d+ · load \d+\/\d+ \| read [\d,]+ records · loaded [\d,]+ events/,
        )
        expect(s).toContain('(limit 300)')
        // Redrawn in place: no newline inside the live line.
        expect(s).not.toContain('\n')
      }
      // The last clear is followed by the report, not by a stale status line.
      expect(redraws.at(-1)).toMatch(/^csv job \S+: done in/)
      expect(screen).toContain('800 loaded, 0 dead-lettered, 0 pending')
      expect(sandbox.stats().received).toBe(800)
    } finally {
      await sandbox.close()
    }
  },
)
