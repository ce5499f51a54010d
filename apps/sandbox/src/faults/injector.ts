import { type ActiveFaults, FaultConfig } from '../options.js'
import type { FaultCounters } from '../types.js'
import { seededRandom } from './rng.js'
import { TokenBucket } from './token-bucket.js'

/** What to do with a request before it is parsed. */
export type EarlyFault = { kind: 'status'; status: number } | { kind: 'none' }

const zeroCounters = (): FaultCounters => ({
  rate_limited: 0,
  errors: 0,
  partial_writes: 0,
  dropped: 0,
  delayed: 0,
  fail_next: 0,
  over_quota: 0,
})

/** Decides which capture requests fail and how. Random choices come from a seeded RNG. */
export class FaultInjector {
  private active: ActiveFaults
  private random: () => number
  private bucket: TokenBucket | undefined
  private counters = zeroCounters()

  constructor(
    config: FaultConfig,
    private readonly seed: number,
  ) {
    this.active = FaultConfig.parse(config)
    this.random = seededRandom(seed)
    this.bucket = this.makeBucket()
  }

  /** Replaces the whole config; the RNG restarts from the seed so a run is reproducible. */
  set(config: FaultConfig): ActiveFaults {
    this.active = FaultConfig.parse(config)
    this.random = seededRandom(this.seed)
    this.bucket = this.makeBucket()
    return this.config()
  }

  config(): ActiveFaults {
    return structuredClone(this.active)
  }

  counts(): FaultCounters {
    return { ...this.counters }
  }

  resetCounters(): void {
    this.counters = zeroCounters()
  }

  delayMs(): number {
    const { latencyMs, latencyJitterMs } = this.active
    if (latencyMs === 0 && latencyJitterMs === 0) return 0
    this.counters.delayed++
    return latencyMs + this.random() * latencyJitterMs
  }

  /** A dropped request gets no answer at all: the client sees a connection reset. */
  shouldDrop(): boolean {
    if (this.active.dropRate === 0 || this.random() >= this.active.dropRate) return false
    this.counters.dropped++
    return true
  }

  /** Scripted (failNext) or random (errorRate) status answered before the body is even parsed. */
  early(): EarlyFault {
    const scripted = this.active.failNext[0]
    if (scripted) {
      scripted.count--
      if (scripted.count <= 0) this.active.failNext.shift()
      this.counters.fail_next++
      return { kind: 'status', status: scripted.status }
    }
    if (this.active.errorRate > 0 && this.random() < this.active.errorRate) {
      this.counters.errors++
      return { kind: 'status', status: this.random() < 0.5 ? 500 : 503 }
    }
    return { kind: 'none' }
  }

  /** Seconds to wait when the request's events exceed the rate limit, else undefined. */
  rateLimit(events: number): number | undefined {
    const result = this.bucket?.take(events)
    if (!result || result.ok) return undefined
    this.counters.rate_limited++
    return result.retryAfterSeconds
  }

  /** How many events of a valid request to store before answering 503, or undefined for all. */
  partialWrite(events: number): number | undefined {
    if (this.active.partialWriteRate === 0 || this.random() >= this.active.partialWriteRate) return undefined
    this.counters.partial_writes++
    // At least one event lands when there is more than one, so a resend visibly duplicates.
    return events > 1 ? 1 + Math.floor(this.random() * (events - 1)) : 0
  }

  /** True when a valid request is to be answered 200 and its events thrown away (a project over quota). */
  overQuota(): boolean {
    if (this.active.overQuotaRate === 0 || this.random() >= this.active.overQuotaRate) return false
    this.counters.over_quota++
    return true
  }

  private makeBucket(): TokenBucket | undefined {
    const { rateLimit, rateLimitBurst } = this.active
    return rateLimit === undefined ? undefined : new TokenBucket(rateLimit, rateLimitBurst ?? rateLimit)
  }
}
