/**
 * At most `size` requests in flight at once (a source's `limits.concurrency`). A waiter gives up with
 * the abort signal's reason, so a stopping run does not hang on a slot.
 */
export class RequestSlots {
  private inUse = 0
  private readonly waiting: Array<() => void> = []

  constructor(readonly size: number) {}

  get active(): number {
    return this.inUse
  }

  async acquire(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted()
    if (this.inUse < this.size) {
      this.inUse++
      return
    }
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.waiting.splice(this.waiting.indexOf(granted), 1)
        reject(signal?.reason)
      }
      const granted = () => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }
      this.waiting.push(granted)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  /** Hands the slot straight to the next waiter, so a late arrival cannot overtake the queue. */
  release(): void {
    const next = this.waiting.shift()
    if (next) next()
    else this.inUse--
  }
}
