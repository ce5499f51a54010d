import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { cli, isolatedEnv, tempDir } from './helpers.js'

const examplesDir = fileURLToPath(new URL('../../connectors/csv/examples/', import.meta.url))
// The repository ships them: their absence is a failure here, not a reason to check less.
const csvExamples = readdirSync(examplesDir).filter((f) => f.endsWith('.csv'))

describe('README quick start', () => {
  it('`ph-import demo` imports Amplitude, Mixpanel and CSV samples into the sandbox and exits 0', async () => {
    const dir = await tempDir()
    const r = await cli(['demo'], { cwd: dir, env: isolatedEnv(dir) })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('=== amplitude ===')
    expect(r.stdout).toContain('=== mixpanel ===')
    expect(r.stdout).toMatch(/amplitude job \S+: done/)
    expect(r.stdout).toMatch(/mixpanel job \S+: done/)
    expect(csvExamples.length).toBeGreaterThan(0)
    expect(r.stdout).toMatch(/csv job \S+: done/)
    // Each import is checked against what the sandbox kept, day by day, as \`ph-import verify\` does.
    const verified = r.stdout.match(
      /verified {4}PostHog holds ([\d,]+) of the ([\d,]+) events loaded, over \d+ days: every day matches/g,
    )
    expect(verified).toHaveLength(3)
    const received = /received\s+([\d,]+) events, ([\d,]+) unique uuids, 0 duplicates/.exec(r.stdout)
    expect(received?.[1]).toBeDefined()
    expect(received?.[1]).toBe(received?.[2])
    // Mixpanel's merges give an $identify beside the event: the summary says why events outnumber records.
    expect(r.stdout).toMatch(
      /=== mixpanel ===[\s\S]*?events {6}[\d,]+ loaded, .*\(([\d,]+) events made from ([\d,]+) records\)/,
    )
    // The summaries name job directories the demo then removes: it says so.
    expect(r.stdout).toContain('The job directories named above were temporary and are removed')
  })
})
