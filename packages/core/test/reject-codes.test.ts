import { expect, it } from 'vitest'
import { rejectAdvice } from '../src/contracts/reject-codes.js'

it("a connector's own advice for a code wins over core's; unknown codes have none", () => {
  const own = {
    missing_event_name: { remedy: 'config' as const, advice: 'name the column with --event-column' },
  }
  expect(rejectAdvice('missing_event_name', own)).toEqual(own.missing_event_name)
  expect(rejectAdvice('missing_event_name')?.remedy).toBe('retry')
  expect(rejectAdvice('invalid_utf8', own)?.remedy).toBe('input')
  expect(rejectAdvice('destination_rejected')?.remedy).toBe('resend')
  expect(rejectAdvice('acme_special')).toBeUndefined()
})
