import { expect, it } from 'vitest'
import { LocalTimeHint } from '../src/local-time-hint.js'

const T = Date.UTC(2024, 2, 5, 12)
const HOUR = 3_600_000

/** 500 rows exported with `time` shifted by `shiftMs` from the true instant, processed `latency(i)` ms after it. */
function sample(shiftMs: number, latency: (i: number) => number): LocalTimeHint {
  const hint = new LocalTimeHint()
  for (let i = 0; i < 500; i++) {
    const trueMs = T + i * 60_000
    hint.add({ time: trueMs + shiftMs, mp_processing_time_ms: trueMs + latency(i) })
  }
  return hint
}

it('tells local times by their whole-quarter-hour distance from Mixpanel processing them', () => {
  expect(sample(-7 * HOUR, (i) => 1000 + (i % 7) * 500).offsetHours()).toBe(-7)
  // India and Nepal are half and quarter hours off.
  expect(sample(5.5 * HOUR, (i) => 2000 + (i % 5) * 300).offsetHours()).toBe(5.5)
  expect(sample(5.75 * HOUR, () => 1500).offsetHours()).toBe(5.75)
  expect(sample(-7 * HOUR, () => 1000).error('2024-03-01..2024-03-07')?.message).toMatch(
    /run 7 h behind .* in a UTC−7 zone/,
  )
})

it('takes a UTC project for one: events processed seconds after they happened, or delivered late and spread', () => {
  expect(sample(0, (i) => 800 + (i % 9) * 700).offsetHours()).toBeUndefined()
  // Senders that batch and deliver 60 to 64 minutes late: a spread of minutes, not a zone.
  expect(sample(0, (i) => HOUR + (i % 5) * 60_000).offsetHours()).toBeUndefined()
  // Events sent to Mixpanel's import API days later are scattered.
  expect(sample(0, (i) => (3 + (i % 11)) * 24 * HOUR + i * 37_000).offsetHours()).toBeUndefined()
})
