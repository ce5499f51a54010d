/** Mixpanel's per-project query limits as the fake enforces them (reference: rate-limits.mdx, mixpanel-headless). */

export interface FakeLimitOptions {
  perHour: number
  perSecond: number
  concurrent: number
  /**
   * Arrivals counted as "the same second". Slightly under 1,000 ms so that a client spacing requests
   * exactly 1 s apart is not tripped by a few ms of local scheduling jitter.
   */
  secondWindowMs: number
}

export const DEFAULT_LIMITS: FakeLimitOptions = {
  perHour: 60,
  perSecond: 3,
  concurrent: 100,
  secondWindowMs: 900,
}

export interface LimitVerdict {
  status: 429
  retryAfterSeconds: number
  error: string
}

export class ProjectLimits {
  private hour: number[] = []
  private second: number[] = []
  inFlight = 0

  constructor(private readonly limits: FakeLimitOptions) {}

  reset(): void {
    this.hour = []
    this.second = []
  }

  /** Queries counted in the last hour (what a test asserts stays within budget). */
  countedLastHour(now = Date.now()): number {
    return this.hour.filter((t) => t > now - 3_600_000).length
  }

  /** Checks and, when allowed, counts a budgeted query. Rejected queries are not counted. */
  admit(projectId: number, counted: boolean, now = Date.now()): LimitVerdict | undefined {
    const prefix = `Query rate limit exceeded for project_id: ${projectId}. This request exceeded the rate limit`
    if (this.inFlight >= this.limits.concurrent) {
      return {
        status: 429,
        retryAfterSeconds: 1,
        error: `${prefix} (${this.inFlight + 1}/${this.limits.concurrent} queries running concurrently). Please retry after some time.`,
      }
    }
    if (!counted) return undefined
    this.hour = this.hour.filter((t) => t > now - 3_600_000)
    this.second = this.second.filter((t) => t > now - this.limits.secondWindowMs)
    if (this.hour.length >= this.limits.perHour) {
      const oldest = this.hour[0] ?? now
      return {
        status: 429,
        retryAfterSeconds: Math.max(1, Math.ceil((oldest + 3_600_000 - now) / 1000)),
        error: `${prefix} (${this.hour.length + 1}/${this.limits.perHour} queries running in the last hour). Please retry after some time.`,
      }
    }
    if (this.second.length >= this.limits.perSecond) {
      return {
        status: 429,
        retryAfterSeconds: 1,
        error: `${prefix} (${this.second.length + 1}/${this.limits.perSecond} queries in the last second). Please retry after some time.`,
      }
    }
    this.hour.push(now)
    this.second.push(now)
    return undefined
  }
}
