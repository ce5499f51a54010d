import { hash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { isUuid } from '../util/uuid.js'

/**
 * A compact set of 52-bit key hashes (open addressing over a Float64Array, 16 bytes per key at the
 * 0.5 load factor): tens of millions of (user, device) pairs fit in a few hundred MB instead of the
 * gigabytes a Set<string> would take. A false "seen" needs a 52-bit collision: a given lookup in a set of
 * 10M keys meets one about 2 times in 10^9, but among n keys some pair collides with probability about
 * n²/2^53: 1 in 9,000 at 1M keys, about 1% at 10M. Such a pair loses one answer (one `$identify`, or for
 * `onceInPartition` one event counted as a duplicate). Wider hashes would need a new seen-file format and
 * twice the memory or a slower table; see docs/architecture.md.
 */
export class SeenSet {
  private table = new Float64Array(1 << 16)
  private count = 0

  static hash(key: string): number {
    // One-shot hash: no Hash object per key (this runs once or twice per record).
    const digest = hash('md5', key, 'buffer') as unknown as Buffer
    // 52 bits fit a double exactly; 0 is reserved for "empty slot".
    return (digest.readUInt32BE(0) % 0x100000) * 0x100000000 + digest.readUInt32BE(4) + 1
  }

  /**
   * As `hash`, without a digest for a key that is a UUID (already a uniform hash): 52 of its bits, the
   * version nibble left out. For sets that live in memory only (`onceInPartition`); the persisted seen
   * files keep `hash`, so that jobs staged by earlier versions resume with the same keys.
   */
  static hashInMemory(key: string): number {
    if (!isUuid(key)) return SeenSet.hash(key)
    // Hex digits 0-7, 9-12 and 15 (14 is the version nibble): 32 + 16 + 4 bits.
    const high = Number.parseInt(key.slice(0, 8), 16)
    const middle = Number.parseInt(key.slice(9, 13), 16)
    return high * 0x100000 + middle * 16 + Number.parseInt(key.charAt(15), 16) + 1
  }

  get size(): number {
    return this.count
  }

  has(hash: number): boolean {
    const mask = this.table.length - 1
    for (let i = hash % this.table.length; ; i = (i + 1) & mask) {
      const v = this.table[i]!
      if (v === 0) return false
      if (v === hash) return true
    }
  }

  /** Adds; returns true when the hash was new. */
  add(hash: number): boolean {
    if ((this.count + 1) * 2 > this.table.length) this.grow()
    const mask = this.table.length - 1
    for (let i = hash % this.table.length; ; i = (i + 1) & mask) {
      const v = this.table[i]!
      if (v === hash) return false
      if (v === 0) {
        this.table[i] = hash
        this.count++
        return true
      }
    }
  }

  private grow(): void {
    const old = this.table
    this.table = new Float64Array(old.length * 2)
    this.count = 0
    for (const v of old) if (v !== 0) this.add(v)
  }

  /** Loads hashes persisted by a committed partition (little-endian float64s). */
  async loadFile(file: string): Promise<void> {
    let buf: Buffer
    try {
      buf = await readFile(file)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
      throw error
    }
    for (let off = 0; off + 8 <= buf.length; off += 8) this.add(buf.readDoubleLE(off))
  }

  /** Every hash held, for a replica on another thread. */
  values(): Float64Array {
    const out = new Float64Array(this.count)
    let n = 0
    for (const v of this.table) if (v !== 0) out[n++] = v
    return out
  }

  static serialize(hashes: readonly number[]): Buffer {
    const buf = Buffer.alloc(hashes.length * 8)
    hashes.forEach((h, i) => {
      buf.writeDoubleLE(h, i * 8)
    })
    return buf
  }
}
