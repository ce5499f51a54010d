// Seeded mistakes: each broken variant of the template connector must fail the check named for it,
// with a message that says what to fix. The checks are called as plain functions (runCheck).
import { randomUUID } from 'node:crypto'
import { type AnySource, type ExportContext, type ExportPage, objectShape } from '@ph-import/core'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  type ConformanceOptions,
  conformanceChecks,
  runCheck,
  runChecks,
  standardChecks,
} from '../src/index.js'
import acme from '../template/src/index.js'
import { FAKE_ACME_API_KEY, type FakeAcme, startFakeAcme } from '../template/src/testing.js'

const good = acme as unknown as AnySource

function optionsFor(source: AnySource): ConformanceOptions {
  return {
    source,
    fake: () => startFakeAcme({ days: 3 }),
    config: (url) => ({ apiKey: FAKE_ACME_API_KEY, baseUrl: url, start: '2024-01-01', end: '2024-01-03' }),
    // The range is the fake's three days: everything it holds.
    expectedRecords: (_config, fake) => (fake as FakeAcme).events.length,
    // A stuck export fails after this long instead of the default 10 s.
    abortWithinMs: 2000,
  }
}

async function check(name: string, source: AnySource) {
  const found = standardChecks.find((c) => c.name === name)
  if (!found) throw new Error(`no check ${name}`)
  return runCheck(found, optionsFor(source))
}

const HOUR = 3_600_000

/** A transform that gives every event a new random uuid on every run. */
const randomUuids: AnySource = {
  ...good,
  transform: (raw, ctx) => {
    const out = good.transform(raw, ctx)
    return 'uuid' in out ? { ...out, uuid: randomUUID() } : out
  },
}

const broken: Record<string, { check: string; source: AnySource; says: RegExp }> = {
  'overlapping plan': {
    check: 'plan_covers_range',
    source: {
      ...good,
      // Each day window runs one hour into the next day: those events would be exported twice.
      plan: async (ctx) =>
        (await good.plan(ctx)).map((p) => ({
          ...p,
          params: { ...p.params, end: new Date(Date.parse(String(p.params.end)) + HOUR).toISOString() },
        })),
    },
    says: /overlap/,
  },
  'random uuids': {
    check: 'uuids_are_stable',
    source: randomUuids,
    says: /uuids only in the first run/,
  },
  'random uuids, seen by the resume check': {
    check: 'resume_after_crash',
    source: randomUuids,
    says: /uuids differ from run to run \(derive them with ctx\.uuid/,
  },
  'export ignores the cursor': {
    check: 'export_continues_from_cursor',
    source: {
      ...good,
      // The mistake: every export starts from the first page, so a resume stages the pages before the cursor twice.
      export: (ctx) => good.export({ ...ctx, cursor: undefined }),
    },
    says: /already given before that cursor.*continue from ctx\.cursor/,
  },
  'export skips past the cursor': {
    check: 'export_continues_from_cursor',
    source: {
      ...good,
      async *export(ctx) {
        let first = ctx.cursor !== undefined
        for await (const page of good.export(ctx)) {
          // The mistake: a resume drops the page the cursor points at.
          if (first) first = false
          else yield page
        }
      },
    },
    says: /left out \d+ record\(s\) that come after it/,
  },
  'export drops the last page': {
    check: 'export_is_complete',
    source: {
      ...good,
      async *export(ctx) {
        // The mistake: stopping when the API says there is no more, before yielding that last page.
        for await (const page of good.export(ctx)) if (page.cursor !== undefined) yield page
      },
    },
    says: /\d+ lost\. A page is left out: the last one/,
  },
  'export repeats the last page': {
    check: 'export_is_complete',
    source: {
      ...good,
      async *export(ctx) {
        let last: ExportPage | undefined
        for await (const page of good.export(ctx)) {
          last = page
          yield page
        }
        // The mistake: the final request repeated, its records yielded again.
        if (last !== undefined) yield { records: last.records ?? [] }
      },
    },
    says: /read twice\. A page is repeated/,
  },
  'pages without a cursor, cursor declared': {
    check: 'export_continues_from_cursor',
    source: {
      ...good,
      async *export(ctx) {
        for await (const page of good.export(ctx)) yield { records: page.records ?? [] }
      },
    },
    says: /no page of the sampled partitions .* carried a cursor/,
  },
  'export swallows 5xx and cut responses': {
    check: 'transient_failures_recovered',
    source: {
      ...good,
      async *export(ctx) {
        try {
          yield* good.export(ctx)
        } catch (error) {
          // The mistake: a failed or cut response taken for the end of the day's data.
          const status = (error as { response?: { statusCode?: number } }).response?.statusCode
          if (status !== undefined && status < 500) throw error
        }
      },
    },
    says: /loaded \d+ of the \d+ events a clean run loads/,
  },
  'secret logged': {
    check: 'secrets_stay_hidden',
    source: {
      ...good,
      export: (ctx: ExportContext<unknown>) => {
        ctx.logger.debug(`requesting with key ${(ctx.config as { apiKey: string }).apiKey}`)
        return good.export(ctx)
      },
    },
    says: /a secret appears in: log debug/,
  },
  'secret printed with console.log': {
    check: 'secrets_stay_hidden',
    source: {
      ...good,
      export: (ctx: ExportContext<unknown>) => {
        // The mistake: console.* goes straight to the terminal, around the redacting ctx.logger.
        console.log(`key=${(ctx.config as { apiKey: string }).apiKey}`)
        return good.export(ctx)
      },
    },
    says: /a secret appears in: console\.log \(log with ctx\.logger/,
  },
  'swallowed 401': {
    check: 'auth_failure_is_fatal',
    source: {
      ...good,
      async *export(ctx) {
        try {
          yield* good.export(ctx)
        } catch {
          // The mistake: treating any HTTP error as "no data".
        }
      },
    },
    says: /ended as done/,
  },
  'export ignores the abort signal': {
    check: 'abort_stops_promptly',
    source: {
      ...good,
      // No signal on the request: the runtime can only stop once the slow response arrives.
      export: (ctx) => good.export({ ...ctx, signal: new AbortController().signal }),
    },
    says: /still going/,
  },
  'export not repeatable': {
    check: 'export_is_repeatable',
    source: {
      ...good,
      async *export(ctx) {
        for await (const page of good.export(ctx))
          yield {
            ...page,
            records: (page.records ?? []).map((r) => ({ ...(r as object), fetchedAt: randomUUID() })),
          }
      },
    },
    says: /record seen 1x then 0x/,
  },
  'no secret marked': {
    check: 'config_marks_secrets',
    source: {
      ...good,
      config: z.object({ ...objectShape(good.config), apiKey: z.string().min(1).describe('Acme API key') }),
    },
    says: /secret\(\)/,
  },
}

describe('the suite catches seeded mistakes', () => {
  for (const [mistake, { check: name, source, says }] of Object.entries(broken)) {
    it(`${mistake} → ${name} fails`, async () => {
      const result = await check(name, source)
      expect(result.status, result.message).toBe('fail')
      expect(result.message).toMatch(says)
    })
  }

  it('lines a connector hands over as JSON text, one not JSON: checked as the runtime stages them', async () => {
    // The connector's transform never sees a line that is not JSON: the runtime dead-letters it first.
    const asLines: AnySource = {
      ...good,
      async *export(ctx) {
        for await (const page of good.export(ctx))
          yield {
            ...page,
            records: [],
            lines: [...(page.records ?? []).map((r) => JSON.stringify(r)), '{"cut":'],
          }
      },
      transform: (raw, ctx) => {
        if (typeof raw !== 'object' || raw === null) throw new Error('the transform was handed text')
        return good.transform(raw, ctx)
      },
    }
    for (const name of ['events_are_valid', 'export_is_repeatable']) {
      const result = await check(name, asLines)
      expect(result, name).toMatchObject({ status: 'pass' })
    }
  })

  it('a one-letter test key fails secrets_stay_hidden with what to use instead, not a list of false leaks', async () => {
    const found = standardChecks.find((c) => c.name === 'secrets_stay_hidden')!
    const result = await runCheck(found, {
      ...optionsFor(good),
      fake: () => startFakeAcme({ days: 3, apiKey: 'k' }),
      config: (url) => ({ apiKey: 'k', baseUrl: url, start: '2024-01-01', end: '2024-01-03' }),
    })
    expect(result).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(
        /too short to redact or to search for: give it a distinctive test value/,
      ),
    })
  })

  it('the unbroken connector passes the same checks', async () => {
    const names = [...new Set(Object.values(broken).map((b) => b.check))]
    for (const name of names) {
      const result = await check(name, good)
      expect(result, name).toMatchObject({ status: 'pass' })
    }
  })
})

describe('names of checks', () => {
  it('a misspelt name in skip or runChecks is an error, not a check silently run or dropped', async () => {
    const options = { ...optionsFor(good), skip: ['abort_stops_promtly'] }
    expect(() => conformanceChecks(options)).toThrow(
      /^skip names no conformance check: abort_stops_promtly \(the checks: config_rejects_invalid, /,
    )
    await expect(runChecks(optionsFor(good), ['plan_is_stable', 'abort_stops_promtly'])).rejects.toThrow(
      /^runChecks names no conformance check: abort_stops_promtly/,
    )
    const [stable] = await runChecks(optionsFor(good), ['plan_is_stable'])
    expect(stable).toMatchObject({ name: 'plan_is_stable', status: 'pass' })
  })
})
