import type { ProgressEvent } from '@ph-import/core'
import type { ConformanceFaults } from '../fake/faults.js'
import { describeRun, importOnce } from './harness.js'
import { type CheckEnv, CheckSkipped, type ConformanceCheck, ensure } from './types.js'

const RETRY_AFTER_SECONDS = 1

async function withFaults(env: CheckEnv): Promise<{ faults: ConformanceFaults; config: unknown }> {
  const { fake, config } = await env.setup()
  if (!fake?.faults)
    throw new CheckSkipped(
      'the fake has no `faults` (rateLimitNext, failAuth): build it on startLoopbackServer or add them',
    )
  return { faults: fake.faults, config }
}

export const retryAfterHonoured: ConformanceCheck = {
  name: 'retry_after_honoured',
  description: 'a 429 with Retry-After is retried after at least that long and the import still completes',
  requires: ['http'],
  async run(env) {
    const { faults, config } = await withFaults(env)
    // Armed after planning: plan() requests are not retried by the runtime, export requests are.
    const run = await importOnce({
      env,
      config,
      name: 'rate-limited',
      onProgress: (e) => {
        if (e.type === 'plan') faults.rateLimitNext(2, RETRY_AFTER_SECONDS)
      },
    })
    const retries = run.progress.filter(
      (e): e is Extract<ProgressEvent, { type: 'retry' }> => e.type === 'retry' && e.stage === 'export',
    )
    ensure(
      retries.length > 0,
      `the 429s were not retried (${describeRun(run)}): let HTTP errors from ctx.http propagate`,
    )
    const honoured = retries.filter((r) => r.delayMs >= RETRY_AFTER_SECONDS * 1000)
    ensure(
      honoured.length > 0,
      `retried after ${retries.map((r) => r.delayMs).join(', ')} ms, not the ${RETRY_AFTER_SECONDS} s Retry-After: keep the HTTPError (its response headers) as the thrown error or its cause`,
    )
    ensure(run.result.status === 'done', `after the 429s: ${describeRun(run)}`)
    ensure(run.events.length > 0, 'the run loaded no events')
    return `${retries.length} retries, waited ${Math.min(...honoured.map((r) => r.delayMs))} ms, then completed`
  },
}

const MENTIONS_CREDENTIALS = /credential|api key|secret|token|password|unauthori[sz]ed|forbidden/i

export const authFailureIsFatal: ConformanceCheck = {
  name: 'auth_failure_is_fatal',
  description: '401/403 fails the job at once (no retries) with a message about the credentials',
  requires: ['http'],
  async run(env) {
    const { faults, config } = await withFaults(env)
    const run = await importOnce({
      env,
      config,
      name: 'unauthorized',
      onProgress: (e) => {
        if (e.type === 'plan') faults.failAuth(401)
      },
    })
    ensure(
      run.result.status === 'failed',
      `every request answered 401, yet the job ended as ${run.result.status} with ${run.events.length} events: never catch HTTP errors from ctx.http (the runtime classifies 401/403 as fatal)`,
    )
    const retries = run.progress.filter((e) => e.type === 'retry').length
    ensure(
      retries === 0,
      `a 401 was retried ${retries} time(s): it must be fatal (FatalError), not retriable`,
    )
    const message = `${run.result.report.error?.message ?? ''} ${run.result.report.error?.hint ?? ''}`
    ensure(
      MENTIONS_CREDENTIALS.test(message),
      `the failure message does not mention the credentials: "${message.trim()}"`,
    )
    return `failed with: ${message.trim()}`
  },
}

export const transientFailuresRecovered: ConformanceCheck = {
  name: 'transient_failures_recovered',
  description:
    'after 503s and downloads cut mid-body, the import still loads every event a clean run loads (no error is taken for the end of the data)',
  requires: ['http'],
  async run(env) {
    const { faults, config } = await withFaults(env)
    const { serverErrorNext, resetNext } = faults
    if (!serverErrorNext || !resetNext)
      throw new CheckSkipped(
        'the fake has no serverErrorNext/resetNext fault knobs: build it on startLoopbackServer (its FaultController has them) or add them',
      )
    const clean = await importOnce({ env, config, name: 'clean' })
    ensure(clean.result.status === 'done', `the clean run did not finish: ${describeRun(clean)}`)
    const faulty = await importOnce({
      env,
      config,
      name: 'transient-faults',
      // Armed after planning, so they land on export requests: two 503s, then two cut responses.
      onProgress: (e) => {
        if (e.type === 'plan') {
          serverErrorNext.call(faults, 2)
          resetNext.call(faults, 2)
        }
      },
    })
    faults.clear()
    const expected = new Set(clean.events.map((e) => e.uuid))
    const got = new Set(faulty.events.map((e) => e.uuid))
    const missing = [...expected].filter((u) => !got.has(u))
    ensure(
      missing.length === 0,
      `after 503s and cut downloads the import loaded ${expected.size - missing.length} of the ${expected.size} events a clean run loads (${describeRun(faulty)}): let errors from ctx.http and from reading a response propagate; never treat a failed or cut response as the end of the data`,
    )
    ensure(faulty.result.status === 'done', `after the faults: ${describeRun(faulty)}`)
    const retries = faulty.progress.filter((e) => e.type === 'retry').length
    return `${retries} retries, then the same ${expected.size} events as a clean run`
  },
}
