import { ConfigError, type Partition, type SourceContext } from '@ph-import/core'
import { completeBefore, dayWindows, endExclusive, startHour, windowPartition } from './hours.js'
import type { AmplitudeConfig } from './schema.js'

/** One partition per upload-time day (T00..T23), never asking for hours Amplitude has not completed. */
export function planAmplitude({ config, now, warn }: SourceContext<AmplitudeConfig>): Partition[] {
  const first = startHour(config.start)
  const ceiling = completeBefore(now)
  const requested = config.end === undefined ? ceiling : endExclusive(config.end)
  if (config.end !== undefined && requested <= first)
    throw new ConfigError(`--end ${config.end} is not after --start ${config.start}`, {
      hint: 'give the earlier day as --start (--end is inclusive: one day is --start 2024-03-01 --end 2024-03-01)',
    })
  const end = Math.min(requested, ceiling)
  if (config.end !== undefined && end < requested) {
    warn(
      `[amplitude] end clipped to ${new Date(end).toISOString()}: Amplitude completes an hour's export data only 2 hours after it ends`,
    )
  }
  if (end <= first) {
    throw new ConfigError(
      `[amplitude] nothing to export yet: data uploaded since ${new Date(first).toISOString()} is not complete until 2 hours after each hour ends`,
      { hint: 'pick an earlier --start, or run again later' },
    )
  }
  return dayWindows(first, end).map(windowPartition)
}
