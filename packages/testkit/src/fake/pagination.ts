/**
 * Pagination helpers for fake servers: each takes the full, ordered list a real API would page
 * through and answers one page request. Servers decide how the request carries the page/cursor.
 */

export interface Page<T> {
  items: T[]
  /** Present when there is a next page. */
  next?: string
}

/** `?page=N` (1-based) with a fixed page size: the next page number, or none after the last. */
export function pageNumberPage<T>(
  items: readonly T[],
  page: number,
  pageSize: number,
): Page<T> & {
  page: number
  totalPages: number
} {
  const totalPages = Math.max(1, Math.ceil(items.length / pageSize))
  const n = Math.max(1, Math.floor(page))
  const slice = items.slice((n - 1) * pageSize, n * pageSize)
  return { items: slice, page: n, totalPages, ...(n < totalPages ? { next: String(n + 1) } : {}) }
}

/** An opaque cursor, like real APIs hand out: base64url of a small JSON object. */
export function encodeCursor(position: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url')
}

/** Undefined for a cursor the server never issued (the server should answer 400). */
export function decodeCursor(token: string): Record<string, string | number> | undefined {
  try {
    const value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, string | number>)
      : undefined
  } catch {
    return undefined
  }
}

/**
 * Cursor pagination over `items`: the cursor encodes the offset (and a scope such as the day, so a
 * cursor from one query is refused for another). `cursor` undefined means the first page.
 */
export function cursorPage<T>(
  items: readonly T[],
  cursor: string | undefined,
  pageSize: number,
  scope = '',
): Page<T> | { error: string } {
  let offset = 0
  if (cursor) {
    const decoded = decodeCursor(cursor)
    if (!decoded || decoded.scope !== scope || typeof decoded.offset !== 'number')
      return { error: 'invalid cursor' }
    offset = decoded.offset
  }
  const slice = items.slice(offset, offset + pageSize)
  const end = offset + slice.length
  return { items: slice, ...(end < items.length ? { next: encodeCursor({ scope, offset: end }) } : {}) }
}

/** Items whose time falls in [start, end): time-window APIs (Mixpanel's from/to, Amplitude's hours). */
export function timeWindowSlice<T>(
  items: readonly T[],
  timeOf: (item: T) => number,
  start: number,
  end: number,
): T[] {
  return items.filter((item) => {
    const t = timeOf(item)
    return t >= start && t < end
  })
}

/** Splits [start, end) into consecutive windows of `stepMs`: the last one is clipped to `end`. */
export function timeWindows(start: number, end: number, stepMs: number): Array<[number, number]> {
  if (!(stepMs > 0)) throw new Error('timeWindows: step must be positive')
  const out: Array<[number, number]> = []
  for (let t = start; t < end; t += stepMs) out.push([t, Math.min(end, t + stepMs)])
  return out
}
