import { type Clock, systemClock } from './backoff.js'

export interface RateLimiterOptions {
  /** Ceiling in units per second; never exceeded on average over any second. */
  ratePerSecond: number
  /** Lowest rate the adaptive backoff may fall to. */
  minRatePerSecond?: number
  /** Fraction of the ceiling regained per second of success after a slowdown (additive increase). */
  recoveryPerSecond?: number
  clock?: Clock
}

/**
 * A token bucket that starts empty and lets a caller go into debt by one request, then waits it off:
 * the long-run rate is exactly `rate`, with no start-up burst that would trip the server's own bucket.
 * On a 429 it halves the rate (multiplicative decrease) and pauses for Retry-After; each second of
 * success regains a slice of the ceiling (additive increase).
 */
export class RateLimiter {
  readonly ceiling: number
  private current: number
  private readonly floor: number
  private readonly recovery: number
  private readonly clock: Clock
  private availableAt: number
  private pausedUntil = 0
  private lastRecovery: number
  private chain: Promise<void> = Promise.resolve()

  constructor(options: RateLimiterOptions) {
    if (!(options.ratePerSecond > 0)) throw new RangeError('ratePerSecond must be > 0')
    this.ceiling = options.ratePerSecond
    this.current = options.ratePerSecond
    this.floor = Math.min(options.minRatePerSecond ?? Math.max(1, options.ratePerSecond / 64), this.ceiling)
    this.recovery = options.recoveryPerSecond ?? 0.05
    this.clock = options.clock ?? systemClock
    this.availableAt = this.clock.now()
    this.lastRecovery = this.clock.now()
  }

  get rate(): number {
    return this.current
  }

  /** Waits until `units` may be spent; calls are served in order. */
  acquire(units: number, signal?: AbortSignal): Promise<void> {
    const turn = this.chain.then(() => this.wait(units, signal))
    this.chain = turn.catch(() => {})
    return turn
  }

  private async wait(units: number, signal?: AbortSignal): Promise<void> {
    this.recover()
    const now = this.clock.now()
    const start = Math.max(now, this.availableAt, this.pausedUntil)
    if (start > now) await this.clock.sleep(start - now, signal)
    this.availableAt = Math.max(start, this.availableAt) + (units / this.current) * 1000
  }

  /** The server said 429: slow down for everyone, and pause at least `retryAfterMs`. */
  onRateLimited(retryAfterMs?: number): void {
    this.current = Math.max(this.floor, this.current / 2)
    const now = this.clock.now()
    this.pausedUntil = Math.max(this.pausedUntil, now + (retryAfterMs ?? 1000))
    this.lastRecovery = this.pausedUntil
  }

  private recover(): void {
    const now = this.clock.now()
    const seconds = (now - this.lastRecovery) / 1000
    if (seconds <= 0 || this.current >= this.ceiling) {
      this.lastRecovery = Math.max(this.lastRecovery, now)
      return
    }
    this.current = Math.min(this.ceiling, this.current + this.ceiling * this.recovery * seconds)
    this.lastRecovery = now
  }
}

/** A sliding-window budget (e.g. Mixpanel's 60 queries per hour), optionally persisted across runs. */
export class WindowBudget {
  private stamps: number[]
  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    initial: readonly number[] = [],
    private readonly clock: Clock = systemClock,
  ) {
    this.stamps = [...initial]
  }

  /** Request times still inside the window, for persisting. */
  snapshot(): number[] {
    const cutoff = this.clock.now() - this.windowMs
    this.stamps = this.stamps.filter((t) => t > cutoff)
    return [...this.stamps]
  }

  /** Milliseconds until one more request fits. */
  delayMs(): number {
    const live = this.snapshot()
    if (live.length < this.limit) return 0
    return live[live.length - this.limit]! + this.windowMs - this.clock.now() + 1
  }

  async take(signal?: AbortSignal): Promise<void> {
    await takeTogether([this], signal)
  }

  /** Counts a request made now. */
  record(): void {
    this.stamps.push(this.clock.now())
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return this.clock.sleep(ms, signal)
  }
}

/**
 * Waits until every budget has room, then counts one request in each at the same moment: taken one
 * after another, the first would count its request before the second's wait, and a saved time would
 * be earlier than the request it stands for.
 */
export async function takeTogether(budgets: readonly WindowBudget[], signal?: AbortSignal): Promise<void> {
  const first = budgets[0]
  if (!first) return
  for (;;) {
    const delay = Math.max(...budgets.map((b) => b.delayMs()))
    if (delay <= 0) break
    await first.sleep(delay, signal)
  }
  for (const b of budgets) b.record()
}
