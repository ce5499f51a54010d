export type TakeResult = { ok: true } | { ok: false; retryAfterSeconds: number }

/**
 * Events-per-second limiter. A request bigger than the bucket is let through when the bucket holds a
 * full bucket's worth and leaves a debt, so no batch size is refused forever.
 */
export class TokenBucket {
  private tokens: number
  private refilledAt: number

  constructor(
    private readonly perSecond: number,
    private readonly capacity: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = capacity
    this.refilledAt = now()
  }

  take(count: number): TakeResult {
    const now = this.now()
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.refilledAt) / 1000) * this.perSecond)
    this.refilledAt = now
    const needed = Math.min(count, this.capacity)
    if (this.tokens >= needed) {
      this.tokens -= count
      return { ok: true }
    }
    // Retry-After is whole seconds (RFC 9110), rounded up so a client that honours it succeeds.
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((needed - this.tokens) / this.perSecond)) }
  }
}
