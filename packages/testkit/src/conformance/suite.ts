import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it } from 'vitest'
import { configFieldsDescribed, configMarksSecrets, configRejectsInvalid } from './checks-config.js'
import { eventsAreValid, exportIsComplete, exportIsRepeatable, uuidsAreStable } from './checks-data.js'
import { authFailureIsFatal, retryAfterHonoured, transientFailuresRecovered } from './checks-failures.js'
import { planCoversRange, planIsStable } from './checks-plan.js'
import { abortStopsPromptly, exportContinuesFromCursor, resumeAfterCrash } from './checks-resume.js'
import { secretsStayHidden } from './checks-secrets.js'
import {
  type CheckEnv,
  type CheckResult,
  CheckSkipped,
  type ConformanceCheck,
  type ConformanceOptions,
  type FakeHandle,
} from './types.js'

/** The standard checks, in the order they run. */
export const standardChecks: readonly ConformanceCheck[] = [
  configRejectsInvalid,
  configMarksSecrets,
  configFieldsDescribed,
  planIsStable,
  planCoversRange,
  exportIsRepeatable,
  exportIsComplete,
  eventsAreValid,
  uuidsAreStable,
  exportContinuesFromCursor,
  resumeAfterCrash,
  retryAfterHonoured,
  transientFailuresRecovered,
  authFailureIsFatal,
  abortStopsPromptly,
  secretsStayHidden,
]

export function conformanceChecks(options: ConformanceOptions): ConformanceCheck[] {
  const checks = [...standardChecks, ...(options.extraChecks ?? [])]
  unknownNames('skip', options.skip, checks)
  return checks
}

/** A misspelt name in `skip` or `runChecks` would silently run (or drop) a check: it is an error. */
function unknownNames(
  where: string,
  names: readonly string[] | undefined,
  checks: readonly ConformanceCheck[],
) {
  const known = new Set(checks.map((c) => c.name))
  const unknown = (names ?? []).filter((n) => !known.has(n))
  if (unknown.length > 0)
    throw new Error(
      `${where} names no conformance check: ${unknown.join(', ')} (the checks: ${[...known].join(', ')})`,
    )
}

/** Why a check does not apply to this connector, or undefined when it does. */
export function notApplicable(check: ConformanceCheck, options: ConformanceOptions): string | undefined {
  if (options.skip?.includes(check.name)) return 'skipped by the connector (options.skip)'
  const capabilities = options.capabilities ?? options.source.capabilities ?? {}
  const missing = (check.requires ?? []).filter((c) => c !== 'faults' && capabilities[c] !== true)
  return missing.length > 0 ? `the source does not declare ${missing.join(', ')}` : undefined
}

/** Runs one check as a plain async function: its own temp dir and fakes, cleaned up after. */
export async function runCheck(check: ConformanceCheck, options: ConformanceOptions): Promise<CheckResult> {
  const reason = notApplicable(check, options)
  if (reason) return { name: check.name, status: 'skip', message: reason }
  const tmp = await mkdtemp(path.join(tmpdir(), `ph-import-${check.name}-`))
  const fakes: FakeHandle[] = []
  const env: CheckEnv = {
    options,
    source: options.source,
    capabilities: options.capabilities ?? options.source.capabilities ?? {},
    tmp,
    async setup() {
      const fake = options.fake ? await options.fake() : undefined
      if (fake) fakes.push(fake)
      return { fake, config: options.config(fake?.url ?? '', fake) }
    },
  }
  try {
    const note = await check.run(env)
    return { name: check.name, status: 'pass', message: note ?? 'ok' }
  } catch (error) {
    if (error instanceof CheckSkipped) return { name: check.name, status: 'skip', message: error.message }
    const message = error instanceof Error ? error.message : String(error)
    return { name: check.name, status: 'fail', message }
  } finally {
    for (const fake of fakes) await fake.close().catch(() => {})
    await rm(tmp, { recursive: true, force: true }).catch(() => {})
  }
}

/** Runs the named checks (default all) one after another and returns every result. */
export async function runChecks(
  options: ConformanceOptions,
  names?: readonly string[],
): Promise<CheckResult[]> {
  const all = conformanceChecks(options)
  unknownNames('runChecks', names, all)
  const checks = all.filter((c) => !names || names.includes(c.name))
  const results: CheckResult[] = []
  for (const check of checks) results.push(await runCheck(check, options))
  return results
}

/**
 * Registers one vitest test per check under `describe('<source> conformance')`. A check that does not
 * apply shows as skipped, with the reason in the test name's note.
 */
export function runConformance(options: ConformanceOptions): void {
  describe(`${options.source.name} conformance`, () => {
    for (const check of conformanceChecks(options)) {
      const reason = notApplicable(check, options)
      if (reason) {
        it.skip(`${check.name} (${reason})`, () => {})
        continue
      }
      it(check.name, { timeout: options.timeoutMs ?? 60_000 }, async (ctx) => {
        const result = await runCheck(check, options)
        if (result.status === 'skip') ctx.skip(result.message)
        if (result.status === 'fail') throw new Error(`${check.name}: ${result.message}`)
      })
    }
  })
}
