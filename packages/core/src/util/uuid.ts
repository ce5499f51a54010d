import { hash } from 'node:crypto'

/** The namespace every ph-import uuid is derived in (a fixed random UUID, never change it). */
export const PH_IMPORT_NAMESPACE = '6b1c1f9e-5a8e-4b9a-9d43-0f6d3c1b7a25'

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** The exact pattern posthog-node and capture accept; anything else fails the whole request. */
export function isUuid(value: unknown): value is string {
  // Length and dash checks first: this runs for every event, and most non-uuids fail them.
  return (
    typeof value === 'string' &&
    value.length === 36 &&
    value.charCodeAt(8) === 45 &&
    value.charCodeAt(13) === 45 &&
    UUID_RE.test(value)
  )
}

function uuidToBytes(uuid: string): Buffer {
  return Buffer.from(uuid.replace(/-/g, ''), 'hex')
}

/** RFC 4122's variant bits (10xx) on a hex digit's low two bits. */
const VARIANT_DIGITS = '89ab'

/** A hex SHA-1 digest → UUIDv5: version nibble 5, RFC variant, 8-4-4-4-12. */
function digestToUuid(hex: string): string {
  const variant = VARIANT_DIGITS[Number.parseInt(hex.charAt(16), 16) & 3]
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}

/**
 * Per namespace, a buffer holding its 16 bytes, then room for a name: a name is encoded straight after
 * them, so a uuid costs no buffer allocations (this runs once or twice per event).
 */
const SCRATCH_BYTES = 4096
const scratches = new Map<string, Buffer>()

function scratchFor(namespace: string): Buffer {
  let scratch = scratches.get(namespace)
  if (!scratch) {
    scratch = Buffer.alloc(SCRATCH_BYTES)
    uuidToBytes(namespace).copy(scratch)
    scratches.set(namespace, scratch)
  }
  return scratch
}

/** RFC 4122 UUIDv5 (SHA-1, name-based): same name, same uuid, on every run and machine. */
export function uuidV5(name: string, namespace: string = PH_IMPORT_NAMESPACE): string {
  const scratch = scratchFor(namespace)
  // One-shot crypto.hash (Node >= 20.12) with hex output: no Hash object, no digest buffer.
  if (name.length * 3 <= SCRATCH_BYTES - 16) {
    const length = scratch.write(name, 16, 'utf8')
    return digestToUuid(hash('sha1', scratch.subarray(0, 16 + length), 'hex'))
  }
  // A UTF-16 unit is at most 3 UTF-8 bytes; a name that might not fit is joined the slow way.
  return digestToUuid(
    hash('sha1', Buffer.concat([scratch.subarray(0, 16), Buffer.from(name, 'utf8')]), 'hex'),
  )
}

/** JSON with object keys sorted at every level, so equal records serialize identically. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null'
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  const entries = Object.keys(value as Record<string, unknown>)
    .sort()
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
  return `{${entries.join(',')}}`
}

/** A short, stable content hash (hex sha256 prefix) of any JSON value. */
export function contentHash(value: unknown, length = 32): string {
  return hash('sha256', canonicalJson(value), 'hex').slice(0, length)
}

/**
 * The deterministic event uuid: UUIDv5 over (source name, source identity, the source's own
 * event id). Keep every part byte-identical across runs; a resend then dedupes in PostHog.
 */
export function deterministicUuid(source: string, identity: string, eventKey: string): string {
  return uuidV5(`${source}\u0000${identity}\u0000${eventKey}`)
}
