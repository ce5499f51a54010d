import { uuidV5 } from '../../src/util/uuid.js'

const DAY0 = Date.UTC(2024, 0, 1)

/**
 * Final wire lines, as the runtime stages them: deterministic uuids, a mix of millisecond and
 * microsecond timestamps, unicode, nested values and `$set`, so fidelity is checked on awkward bytes.
 */
export function eventLines(
  count: number,
  options: { prefix?: string; day?: number; pad?: number } = {},
): string[] {
  const prefix = options.prefix ?? 'e'
  const lines: string[] = []
  for (let i = 0; i < count; i++) {
    const ms = DAY0 + (options.day ?? 0) * 86_400_000 + i * 1000
    const iso = new Date(ms).toISOString()
    const timestamp = i % 3 === 0 ? iso.replace(/Z$/, `${String(i % 1000).padStart(3, '0')}Z`) : iso
    const event = {
      event: i % 5 === 0 ? '$pageview' : `event_${i % 7}`,
      distinct_id: `user-${i % 13}`,
      uuid: uuidV5(`${prefix}-${i}`),
      timestamp,
      properties: {
        n: i,
        label: `café ✓ "${i}"`,
        nested: { list: [1, 2.5, null, true], empty: {} },
        ...(i % 4 === 0 ? { $set: { plan: `p${i % 3}` } } : {}),
        ...(options.pad ? { pad: 'x'.repeat(options.pad) } : {}),
        $geoip_disable: true,
      },
    }
    lines.push(JSON.stringify(event))
  }
  return lines
}

export function uuidsOf(lines: readonly string[]): string[] {
  return lines.map((l) => (JSON.parse(l) as { uuid: string }).uuid)
}

/** Polls until `check` holds (for a server still finishing requests a client gave up on). */
export async function settle(check: () => boolean, maxMs = 10_000): Promise<void> {
  const until = Date.now() + maxMs
  while (!check() && Date.now() < until) await new Promise((r) => setTimeout(r, 20))
}
