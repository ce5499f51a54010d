import { uuidv7 } from '../uuid.js'
import { emptyDistinctId, eventTooBig, missingDistinctId, missingEventName } from './errors.js'
import type { JsonObject } from './parse.js'
import { eventTime } from './timestamp.js'

/** Capture cuts distinct ids at 200 characters. */
const MAX_DISTINCT_ID_CHARS = 200
// Room for the fields around `properties` when estimating an event's serialized size, and for what capture
// puts around the event in its Kafka message.
const ENVELOPE_BYTES = 256

export interface PersonUpdate {
  set: JsonObject | undefined
  setOnce: JsonObject | undefined
  unset: string[] | undefined
}

export interface IdentityLinkDraft {
  kind: 'identify' | 'alias' | 'merge'
  otherId: string
}

/** An event that passed capture's checks, ready to store. */
export interface AcceptedEvent {
  uuid: string
  event: string
  distinctId: string
  timestamp: string
  day: string
  propertiesJson: string
  person: PersonUpdate | undefined
  link: IdentityLinkDraft | undefined
}

const asObject = (value: unknown): JsonObject | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : undefined

// Capture stringifies non-string ids (numbers, objects), replaces NUL and cuts to 200 characters.
function distinctIdOf(event: JsonObject, properties: JsonObject, index: number): string {
  const raw = event.distinct_id ?? event.$distinct_id ?? properties.distinct_id
  if (raw === undefined || raw === null) throw missingDistinctId(index)
  const text = (typeof raw === 'string' ? raw : JSON.stringify(raw)).replaceAll('\0', '\uFFFD')
  const cut =
    text.length <= MAX_DISTINCT_ID_CHARS ? text : Array.from(text).slice(0, MAX_DISTINCT_ID_CHARS).join('')
  if (cut === '') throw emptyDistinctId(index)
  return cut
}

const merged = (a: JsonObject | undefined, b: JsonObject | undefined) => (a && b ? { ...a, ...b } : (a ?? b))

// `$set`/`$set_once` parse at the top level too (RawEvent), though SDKs put them in properties.
function personUpdateOf(event: JsonObject, properties: JsonObject): PersonUpdate | undefined {
  const set = merged(asObject(event.$set), asObject(properties.$set))
  const setOnce = merged(asObject(event.$set_once), asObject(properties.$set_once))
  const rawUnset = properties.$unset
  const unset = Array.isArray(rawUnset)
    ? rawUnset.filter((key): key is string => typeof key === 'string')
    : asObject(rawUnset) && Object.keys(rawUnset as JsonObject)
  if (!set && !setOnce && !unset) return undefined
  return { set, setOnce, unset: unset || undefined }
}

function linkOf(name: string, properties: JsonObject): IdentityLinkDraft | undefined {
  const anon = properties.$anon_distinct_id
  if (name === '$identify' && typeof anon === 'string' && anon !== '')
    return { kind: 'identify', otherId: anon }
  const alias = properties.alias
  const isAlias = name === '$create_alias' || name === '$merge_dangerously'
  if (isAlias && (typeof alias === 'string' || typeof alias === 'number')) {
    return { kind: name === '$create_alias' ? 'alias' : 'merge', otherId: String(alias) }
  }
  return undefined
}

export function acceptEvent(
  event: JsonObject,
  index: number,
  now: number,
  maxEventBytes: number,
): AcceptedEvent {
  const name = event.event
  if (typeof name !== 'string' || name === '') throw missingEventName(index)
  const properties = asObject(event.properties) ?? {}
  const distinctId = distinctIdOf(event, properties, index)
  const propertiesJson = JSON.stringify(properties)
  // A string's UTF-8 size is at most 3 bytes per UTF-16 unit: only measure when it could matter.
  const upperBound = propertiesJson.length * 3 + name.length * 3 + distinctId.length * 3 + ENVELOPE_BYTES
  if (upperBound > maxEventBytes) {
    // The limit is Kafka's, on the message capture produces: the event rides in it as a JSON string,
    // its text escaped once more.
    const size = Buffer.byteLength(JSON.stringify(JSON.stringify(event))) + ENVELOPE_BYTES
    if (size > maxEventBytes)
      throw eventTooBig(`event is ${size} bytes as a Kafka message, the limit is ${maxEventBytes}`, index)
  }
  const uuid = typeof event.uuid === 'string' && event.uuid !== '' ? event.uuid.toLowerCase() : uuidv7(now)
  return {
    uuid,
    event: name,
    distinctId,
    ...eventTime(event, now),
    propertiesJson,
    person: personUpdateOf(event, properties),
    link: linkOf(name, properties),
  }
}
