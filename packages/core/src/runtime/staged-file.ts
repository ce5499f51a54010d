import { createHash, type Hash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { type FileHandle, open, truncate } from 'node:fs/promises'
import { promisify } from 'node:util'
import { constants, createGunzip, gzip } from 'node:zlib'

// Async gzip runs on libuv's thread pool, so compression overlaps the event loop's parsing work.
const gzipAsync = promisify(gzip)

/**
 * Append-only gzip JSON-lines writer for staged raw records. Each `commit()` closes a complete gzip
 * member and fsyncs, so the file up to the committed byte offset is always a valid multi-member gzip:
 * after a crash we truncate to that offset and append, and readers never see half a record.
 */
export class StagedGzipWriter {
  private pending: string[] = []
  private pendingRecords = 0
  private constructor(
    private readonly handle: FileHandle,
    private committedBytes: number,
    private committedRecords: number,
  ) {}

  static async open(file: string, resumeAt?: { bytes: number; records: number }): Promise<StagedGzipWriter> {
    if (resumeAt) {
      await truncate(file, resumeAt.bytes).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error
      })
    }
    const handle = await open(file, resumeAt ? 'a' : 'w')
    return new StagedGzipWriter(handle, resumeAt?.bytes ?? 0, resumeAt?.records ?? 0)
  }

  get bytes(): number {
    return this.committedBytes
  }
  get records(): number {
    return this.committedRecords + this.pendingRecords
  }

  write(record: unknown): void {
    this.pending.push(JSON.stringify(record))
    this.pendingRecords++
  }

  /** A record already serialized as one line of JSON (no newline in it), staged as it is. */
  writeLine(line: string): void {
    this.pending.push(line)
    this.pendingRecords++
  }

  /** Makes everything written so far durable; returns the committed position. */
  async commit(): Promise<{ bytes: number; records: number }> {
    await this.writeMember()
    await this.handle.sync()
    return { bytes: this.committedBytes, records: this.committedRecords }
  }

  /** Flushes when enough is buffered, to keep memory flat on big partitions. */
  async maybeFlush(maxBuffered = 5000): Promise<void> {
    if (this.pending.length >= maxBuffered) await this.writeMember()
  }

  private async writeMember(): Promise<void> {
    if (this.pending.length === 0) return
    const text = `${this.pending.join('\n')}\n`
    const records = this.pendingRecords
    this.pending = []
    this.pendingRecords = 0
    // Level 1: staging is disk-bound and re-read once; speed beats ratio here.
    const member = await gzipAsync(text, { level: constants.Z_BEST_SPEED })
    await this.handle.write(member)
    this.committedBytes += member.length
    this.committedRecords += records
  }

  async close(): Promise<void> {
    await this.handle.close()
  }
}

/**
 * Splits a byte stream on `\n` only (a `\r` inside a JSON string must not split a record), handing each
 * line's byte range to `take`, one array of lines per chunk: one awaited iteration per chunk instead of
 * per line saves a promise and a result object per record. Faster than node:readline, which runs a regex
 * and a string decoder over every chunk; only a line that straddles two chunks is copied.
 */
async function* splitChunks<T>(
  chunks: AsyncIterable<Buffer>,
  take: (buf: Buffer, start: number, end: number) => T,
): AsyncIterable<T[]> {
  let carry: Buffer | undefined
  for await (const chunk of chunks) {
    const lines: T[] = []
    let start = 0
    if (carry) {
      const nl = chunk.indexOf(0x0a)
      if (nl === -1) {
        carry = Buffer.concat([carry, chunk])
        continue
      }
      const joined = Buffer.concat([carry, chunk.subarray(0, nl)])
      lines.push(take(joined, 0, joined.length))
      carry = undefined
      start = nl + 1
    }
    for (;;) {
      const nl = chunk.indexOf(0x0a, start)
      if (nl === -1) break
      lines.push(take(chunk, start, nl))
      start = nl + 1
    }
    carry = start < chunk.length ? chunk.subarray(start) : undefined
    if (lines.length > 0) yield lines
  }
  if (carry && carry.length > 0) yield [take(carry, 0, carry.length)]
}

const asText = (buf: Buffer, start: number, end: number) => buf.toString('utf8', start, end)
const asBytes = (buf: Buffer, start: number, end: number) => buf.subarray(start, end)

/** UTF-8 lines, a chunk's worth at a time (staged raw records). */
export function splitLineChunks(chunks: AsyncIterable<Buffer>): AsyncIterable<string[]> {
  return splitChunks(chunks, asText)
}

/**
 * Lines kept as views into the chunk they were read in (no copy, no decode), a chunk's worth at a
 * time: the load stage sends them on as bytes.
 */
export function splitLineBufferChunks(chunks: AsyncIterable<Buffer>): AsyncIterable<Buffer[]> {
  return splitChunks(chunks, asBytes)
}

/**
 * Streams the lines of a (multi-member) gzip file, a chunk's worth at a time. Up to 4 MB are inflated
 * ahead on the thread pool while the caller parses what it has.
 */
export function readGzipLineChunks(file: string): AsyncIterable<string[]> {
  return splitLineChunks(readGzipChunks(file))
}

/** A (multi-member) gzip file's inflated bytes, in chunks of 256 kB, up to 4 MB inflated ahead. */
export function readGzipChunks(file: string): AsyncIterable<Buffer> {
  // zlib hands its options to the Transform stream too; @types/node's ZlibOptions just omits the
  // stream's, hence the variable instead of an object literal. In object mode each read is one chunk as
  // inflated: a byte stream's read() joins everything buffered into a new buffer, up to 4 MB a time.
  const inflateAhead = {
    chunkSize: 1 << 18,
    readableObjectMode: true,
    readableHighWaterMark: 16,
    writableHighWaterMark: 1 << 20,
  }
  return createReadStream(file, { highWaterMark: 1 << 20 }).pipe(createGunzip(inflateAhead))
}

/** Streams the lines of a plain text file (staged events) as UTF-8 bytes, a chunk's worth at a time. */
export function readPlainLineChunks(file: string): AsyncIterable<Buffer[]> {
  return splitLineBufferChunks(createReadStream(file, { highWaterMark: 1 << 18 }))
}

const LINE_WRITER_CAPACITY = 1 << 20

/**
 * Buffered, append-only plain-text line writer (staged events, rejects). Lines are encoded straight
 * into a 1 MB buffer: no joined string per flush and no second encoding pass when it is written.
 * A full buffer is written while the next one fills: the caller waits only if that write is still going
 * when the next buffer is full, not for every megabyte.
 */
export class LineWriter {
  private buffer: Buffer = Buffer.allocUnsafe(LINE_WRITER_CAPACITY)
  private used = 0
  private spare: Buffer | undefined
  private written = 0
  /** The write of the previous buffer, if it may still be going; writes happen one at a time, in order. */
  private writing: Promise<void> | undefined
  private constructor(
    private readonly handle: FileHandle,
    private readonly hash: Hash | undefined,
  ) {}

  /**
   * `sha256`: hash the bytes as they are written (a new file only), so the caller gets the file's digest
   * from `sha256()` without reading the file back.
   */
  static async open(
    file: string,
    mode: 'w' | 'a' = 'w',
    opts: { sha256?: boolean } = {},
  ): Promise<LineWriter> {
    if (opts.sha256 && mode !== 'w') throw new Error('LineWriter hashes new files only')
    return new LineWriter(await open(file, mode), opts.sha256 ? createHash('sha256') : undefined)
  }

  /** Bytes written so far, buffered ones included: where the next line starts in a new file. */
  get position(): number {
    return this.written + this.used
  }

  /** The hex sha256 of everything written, once closed (`sha256` asked at open). */
  sha256(): string {
    if (!this.hash) throw new Error('LineWriter opened without sha256')
    return this.hash.digest('hex')
  }

  /** Appends bytes as they are (lines with their newlines, copied from another file or a worker). */
  async append(bytes: Uint8Array): Promise<void> {
    if (this.used + bytes.length > LINE_WRITER_CAPACITY) await this.startFlush()
    if (bytes.length <= LINE_WRITER_CAPACITY) {
      this.buffer.set(bytes, this.used)
      this.used += bytes.length
      return
    }
    await this.flush()
    await this.writeFully(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length))
  }

  /** Buffers a line; returns a promise only when the buffer must be flushed first (await it then). */
  write(line: string): Promise<void> | undefined {
    // A UTF-16 unit is at most 3 UTF-8 bytes: make room for the worst case before encoding in place.
    if (this.used + line.length * 3 + 1 > LINE_WRITER_CAPACITY) return this.writeAfterFlush(line)
    this.used += this.buffer.write(line, this.used, 'utf8')
    this.buffer[this.used++] = 0x0a
    return undefined
  }

  /** Buffers a line that is already UTF-8 (without its newline); same contract as `write`. */
  writeBytes(line: Uint8Array): Promise<void> | undefined {
    if (this.used + line.length + 1 > LINE_WRITER_CAPACITY) return this.writeBytesAfterFlush(line)
    this.buffer.set(line, this.used)
    this.used += line.length
    this.buffer[this.used++] = 0x0a
    return undefined
  }

  private async writeBytesAfterFlush(line: Uint8Array): Promise<void> {
    await this.startFlush()
    if (line.length + 1 <= LINE_WRITER_CAPACITY) this.writeBytes(line)
    else {
      await this.flush()
      await this.writeFully(Buffer.concat([line, Buffer.from('\n')]))
    }
  }

  private async writeAfterFlush(line: string): Promise<void> {
    await this.startFlush()
    if (line.length * 3 + 1 <= LINE_WRITER_CAPACITY) this.write(line)
    else {
      await this.flush()
      await this.writeFully(Buffer.from(`${line}\n`, 'utf8'))
    }
  }

  /** Writes everything buffered and waits until the file has it. */
  async flush(): Promise<void> {
    await this.startFlush()
    await this.finishWriting()
  }

  /** Hands the buffered bytes to the file without waiting for the write, once the previous one is done. */
  private async startFlush(): Promise<void> {
    await this.finishWriting()
    if (this.used === 0) return
    const full = this.buffer
    const data = full.subarray(0, this.used)
    // Two buffers in turn, not a new megabyte per flush: Buffers are freed only when V8 collects their
    // handles, so a fresh one per flush piles up garbage outside the heap between collections.
    this.buffer = this.spare ?? Buffer.allocUnsafe(LINE_WRITER_CAPACITY)
    this.spare = undefined
    this.used = 0
    const writing = this.writeFully(data).then(() => {
      this.spare = full
    })
    // Its failure (a full disk) is thrown by the next wait for it, not reported as unhandled meanwhile.
    writing.catch(() => {})
    this.writing = writing
  }

  private async finishWriting(): Promise<void> {
    const writing = this.writing
    if (!writing) return
    this.writing = undefined
    await writing
  }

  /** FileHandle.write may write less than asked (a full disk on the way, a signal): loop until done. */
  private async writeFully(data: Buffer): Promise<void> {
    this.hash?.update(data)
    this.written += data.length
    let offset = 0
    while (offset < data.length) {
      const { bytesWritten } = await this.handle.write(data, offset, data.length - offset)
      offset += bytesWritten
    }
  }

  async close(sync = true): Promise<void> {
    try {
      await this.flush()
      if (sync) await this.handle.sync()
    } finally {
      // A failed write (full disk) must not leak the descriptor.
      await this.handle.close()
    }
  }
}
