import type { Partition, SourceContext } from '@ph-import/core'
import type { AcmeConfig } from './schema.js'

const DAY_MS = 86_400_000

/** One partition per UTC day, [start, end) as ISO instants: the conformance suite checks they tile the range. */
export function planAcme({ config }: SourceContext<AcmeConfig>): Partition[] {
  const partitions: Partition[] = []
  const last = Date.parse(`${config.end}T00:00:00Z`)
  for (let t = Date.parse(`${config.start}T00:00:00Z`); t <= last; t += DAY_MS) {
    const day = new Date(t).toISOString().slice(0, 10)
    partitions.push({
      key: `day:${day}`,
      order: day,
      params: { day, start: new Date(t).toISOString(), end: new Date(t + DAY_MS).toISOString() },
    })
  }
  return partitions
}
