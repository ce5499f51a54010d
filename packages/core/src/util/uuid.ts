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

function bytesToUuid(bytes: Buffer): string {
  const hex = bytes.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`
}

/** RFC 4122 UUIDv5 (SHA-1, name-based): same name, same uuid, on every run and machine. */
const namespaceBytes = new Map<string, Buffer>()

export function uuidV5(name: string, namespace: string = PH_IMPORT_NAMESPACE): string {
  let ns = namespaceBytes.get(namespace)
  if (!ns) {
    ns = uuidToBytes(namespace)
    namespaceBytes.set(namespace, ns)
  }
  // One-shot crypto.hash (Node >= 20.12) is several times cheaper than a Hash object per event.
  const digest = hash('sha1', Buffer.concat([ns, Buffer.from(name, 'utf8')]), 'buffer') as unknown as Buffer
  const bytes = digest.subarray(0, 16)
  bytes[6] = (bytes[6]! & 0x0f) | 0x50
  bytes[8] = (bytes[8]! & 0x3f) | 0x80
  return bytesToUuid(bytes)
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
