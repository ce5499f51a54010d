import { epochToMillis, FatalError } from '@ph-import/core'

const HOUR_MS = 3_600_000
/** How far from a whole hour Mixpanel's processing may lag and still count (latency, a queue). */
const SLACK_MS = 15 * 60_000
const SAMPLE = 2000
const MIN_SAMPLE = 200
const SHARE = 0.8

/**
 * Watches exported rows for the mark of a project that exports local times (projects created before 2023):
 * `time` is the wall clock in the project's zone, written as if it were UTC, while `mp_processing_time_ms`
 * is a real UTC instant, so nearly every row is the zone's offset, in whole hours, away from when Mixpanel
 * processed it. Rows sent to Mixpanel's import API long after they happened are scattered and do not count.
 */
export class LocalTimeHint {
  private readonly byOffset = new Map<number, number>()
  private sampled = 0

  add(properties: unknown): void {
    if (this.sampled >= SAMPLE || properties === null || typeof properties !== 'object') return
    const { time, mp_processing_time_ms: processed } = properties as Record<string, unknown>
    if (typeof time !== 'number' || typeof processed !== 'number') return
    const lag = processed - epochToMillis(time)
    const hours = Math.round(lag / HOUR_MS)
    this.sampled++
    if (Math.abs(lag - hours * HOUR_MS) <= SLACK_MS)
      this.byOffset.set(hours, (this.byOffset.get(hours) ?? 0) + 1)
  }

  /** The zone's offset from UTC in hours (-7 for Los Angeles in summer) when the sample shows one, else undefined. */
  offsetHours(): number | undefined {
    if (this.sampled < MIN_SAMPLE) return undefined
    for (const [hours, count] of this.byOffset)
      if (hours !== 0 && Math.abs(hours) <= 14 && count >= this.sampled * SHARE) return -hours
    return undefined
  }

  /**
   * The error that stops the job, if the sample shows local times: read as UTC, every event would land the
   * zone's offset away, and sent so, stay there beside the right copy of a later import (other timestamp,
   * other uuid). Thrown at the end of the first window's export, before any of it is sent.
   */
  error(window: string): FatalError | undefined {
    const offset = this.offsetHours()
    if (offset === undefined) return undefined
    const zone = `UTC${offset > 0 ? '+' : '−'}${Math.abs(offset)}`
    return new FatalError(
      `[mixpanel] export ${window}: the event times run ${Math.abs(offset)} h ${offset > 0 ? 'ahead of' : 'behind'} when Mixpanel processed the events (mp_processing_time_ms) for over ${SHARE * 100}% of the rows: the project exports local times, in a ${zone} zone (projects created before 2023 do), and read as UTC every event would land ${Math.abs(offset)} h off. Nothing of this window was sent`,
      {
        hint: "run again with --timezone set to the project's time zone (Project settings), e.g. --timezone America/Los_Angeles; if the project really keeps UTC, pass --timezone Etc/UTC to go on",
      },
    )
  }
}
