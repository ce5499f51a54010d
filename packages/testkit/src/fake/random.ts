/** A seeded generator of floats in [0, 1): the same seed yields the same sequence on every machine. */
export type Random = () => number

/**
 * mulberry32: tiny, fast and good enough for test data. Not for anything secret.
 * Strings are hashed to a 32-bit seed so tests can use readable seeds ('amplitude-2024').
 */
export function seededRandom(seed: number | string): Random {
  let a = typeof seed === 'number' ? seed >>> 0 : hashSeed(seed)
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function hashSeed(text: string): number {
  let h = 2166136261
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619)
  return h >>> 0
}

/** Integer in [min, max] inclusive. */
export function randomInt(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1))
}

export function pick<T>(random: Random, items: readonly T[]): T {
  if (items.length === 0) throw new Error('pick: no items')
  return items[Math.floor(random() * items.length)] as T
}

/** Picks by weight: `[['pageview', 8], ['signup', 1]]` yields pageview about 8 times in 9. */
export function weightedPick<T>(random: Random, weighted: ReadonlyArray<readonly [T, number]>): T {
  const total = weighted.reduce((sum, [, w]) => sum + w, 0)
  if (!(total > 0)) throw new Error('weightedPick: weights must add up to more than 0')
  let roll = random() * total
  for (const [item, weight] of weighted) {
    roll -= weight
    if (roll < 0) return item
  }
  return weighted[weighted.length - 1]![0]
}

const ID_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz'

/** A readable id such as `user_k3j9x2`, reproducible from the seed. */
export function randomId(random: Random, prefix = '', length = 8): string {
  let id = ''
  for (let i = 0; i < length; i++) id += ID_ALPHABET[Math.floor(random() * ID_ALPHABET.length)]
  return prefix ? `${prefix}_${id}` : id
}

/** A millisecond timestamp in [start, end), as epoch ms. Accepts dates, ISO strings or epoch ms. */
export function randomTimestamp(random: Random, start: Date | string | number, end: Date | string | number) {
  const lo = toMs(start)
  const hi = toMs(end)
  if (!(hi > lo)) throw new Error('randomTimestamp: end must be after start')
  return lo + Math.floor(random() * (hi - lo))
}

export function toMs(value: Date | string | number): number {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value)
  if (Number.isNaN(ms)) throw new Error(`not a date: ${String(value)}`)
  return ms
}

/** Fisher-Yates with the seeded generator: the same seed gives the same order. */
export function seededShuffle<T>(items: readonly T[], seed: number | string): T[] {
  const random = seededRandom(seed)
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[out[i], out[j]] = [out[j] as T, out[i] as T]
  }
  return out
}

/** Reorders rows differently on each download (`attempt`), the same way on every run: re-downloads
 * of one window from a real export API are not guaranteed to come back in the same order. */
export function reorderForAttempt<T>(rows: readonly T[], attempt: number, seed: number | string = 0): T[] {
  return attempt <= 1 ? [...rows] : seededShuffle(rows, `${seed}:${attempt}`)
}
