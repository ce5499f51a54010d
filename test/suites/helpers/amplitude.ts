import type { FakeAmplitudeRow } from '@ph-import/connector-amplitude/testing'
import type { StoredEvent } from '@ph-import/sandbox'
import { expect } from 'vitest'

/**
 * Flags that make one Amplitude row exactly one PostHog event with the row's own uuid, so the expected
 * set is the fake's rows: no derived $identify/$groupidentify, session events kept.
 */
export function amplitudeArgs(baseUrl: string, start: string, end: string): string[] {
  return [
    'amplitude',
    '--base-url',
    baseUrl,
    '--start',
    start,
    '--end',
    end,
    '--keep-session-events',
    '--no-identify',
    '--no-group-identify',
  ]
}

const EVENT_NAMES: Record<string, string> = {
  '[Amplitude] Page Viewed': '$pageview',
  '[Amplitude] Element Clicked': '$autocapture',
  '[Amplitude] Element Changed': '$autocapture',
  $identify: '$set',
}

const RENAMED: Record<string, string> = {
  '[Amplitude] Page URL': '$current_url',
  '[Amplitude] Page Path': '$pathname',
  referrer: '$referrer',
}

/** The mapped fields a user checks first: name, person, time, device, ip, a custom property. */
export function expectAmplitudeMapped(row: FakeAmplitudeRow, stored: StoredEvent | undefined): void {
  expect(stored, `row ${row.uuid} missing`).toBeDefined()
  if (!stored) return
  expect(stored.event).toBe(EVENT_NAMES[row.event_type] ?? row.event_type)
  expect(stored.distinct_id).toBe(String(row.user_id ?? row.device_id))
  expect(stored.timestamp).toBe(`${row.event_time.replace(' ', 'T')}Z`)
  const props = stored.properties as Record<string, unknown>
  expect(props.$device_id).toBe(row.device_id)
  expect(props.$ip).toBe(row.ip_address)
  expect(props.$import_source).toBe('amplitude')
  const source = row.event_properties ?? {}
  for (const [from, to] of Object.entries(RENAMED))
    if (from in source) expect(props[to], to).toEqual(source[from])
  for (const key of ['query', 'revenue', 'currency'])
    if (key in source) expect(props[key], key).toEqual(source[key])
}
