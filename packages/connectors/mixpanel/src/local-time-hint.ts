import { epochToMillis, FatalError } from '@ph-import/core'

const QUARTER_MS = 15 * 60_000
/**
 * How long after the zone's offset Mixpanel may process a live event and still count: local times are the
 * offset plus seconds of latency, while a UTC project whose senders deliver late is spread over minutes.
 */
const LATE_MS = 2 * 60_000
const SAMPLE = 2000
const MIN_SAMPLE = 200
const SHARE = 0.8

/**
 * Watches exported rows for the mark of a project that exports local times (projects created before 2023):
 * `time` is the wall clock in the project's zone, written as if it were UTC, while `mp_processing_time_ms`
 * is a real UTC instant, so nearly every row is the zone's offset (a whole number of quarter hours) plus seconds away from when Mixpanel
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
    // Zones are whole quarters of an hour off UTC (India +5:30, Nepal +5:45).
    const quarters = Math.floor(lag / QUARTER_MS)
    this.sampled++
    if (lag - quarters * QUARTER_MS <= LATE_MS)
      this.byOffset.set(quarters, (this.byOffset.get(quarters) ?? 0) + 1)
  }

  /** The zone's offset from UTC in hours (-7 for Los Angeles in summer, 5.5 for India) when the sample shows one. */
  offsetHours(): number | undefined {
    if (this.sampled < MIN_SAMPLE) return undefined
    for (const [quarters, count] of this.byOffset)
      if (quarters !== 0 && Math.abs(quarters) <= 56 && count >= this.sampled * SHARE) return -quarters / 4
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
