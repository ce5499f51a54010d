import { isUuid } from '../uuid.js'
import { decodingError, emptyBatch, multipleTokens, noToken, parsingError } from './errors.js'

export type JsonObject = Record<string, unknown>

/** A decoded capture body, whichever of capture's three shapes it came in. */
export interface RawRequest {
  token: string
  /** Only the `/batch/` form carries `historical_migration` (RawRequest::historical_migration). */
  historical: boolean
  sentAt: string | undefined
  events: JsonObject[]
}

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * A `\uXXXX` escape of a surrogate that is not half of a pair (an escaped backslash before `u` is text).
 * JSON.parse takes them; capture's serde_json refuses the whole body.
 */
const LONE_SURROGATE =
  /(?<!\\)(?:\\\\)*\\u(?:d[89ab][0-9a-f]{2}(?!\\ud[c-f][0-9a-f]{2})|(?<!\\ud[89ab][0-9a-f]{2}\\u)d[c-f][0-9a-f]{2})/i

function parseJson(text: string): unknown {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    throw parsingError((error as Error).message)
  }
  if (text.includes('\\u') && LONE_SURROGATE.test(text))
    throw parsingError('lone leading surrogate in hex escape')
  return parsed
}

// A single event carries its token as `api_key`, `token` or `$token`, or in properties.token.
function eventToken(event: JsonObject): unknown {
  const properties = isObject(event.properties) ? event.properties : undefined
  return event.api_key ?? event.token ?? event.$token ?? properties?.token
}

function commonToken(events: JsonObject[]): unknown {
  const tokens = new Set(events.map(eventToken).filter((t) => t !== undefined && t !== null && t !== ''))
  if (tokens.size > 1) throw multipleTokens()
  return tokens.values().next().value
}

/**
 * Capture's RawRequest is an untagged enum: `{api_key, batch: [...]}`, `[event, ...]` or one event.
 * Every route accepts every shape.
 */
export function parseCaptureBody(body: Buffer): RawRequest {
  const text = body.toString('utf8')
  if (text.trim() === '') throw decodingError('empty body')
  const json = parseJson(text)
  let events: unknown[]
  let token: unknown
  let historical = false
  let sentAt: unknown
  if (Array.isArray(json)) {
    events = json
  } else if (isObject(json) && Array.isArray(json.batch)) {
    events = json.batch
    token = json.api_key ?? json.token
    historical = json.historical_migration === true
    sentAt = json.sent_at
  } else if (isObject(json)) {
    events = [json]
    sentAt = json.sent_at
  } else {
    throw parsingError('expected an event, an array of events or {api_key, batch}')
  }
  // Capture deserializes the whole body before anything else, so one bad uuid fails the request with 400.
  events.forEach((event, index) => {
    if (!isObject(event)) throw parsingError('event is not a JSON object', index)
    const uuid = event.uuid
    if (uuid === undefined || uuid === null || uuid === '') return
    if (typeof uuid !== 'string' || !isUuid(uuid))
      throw parsingError(`invalid uuid ${JSON.stringify(uuid)}`, index)
  })
  const objects = events as JsonObject[]
  if (objects.length === 0) throw emptyBatch()
  token ??= commonToken(objects)
  if (token === undefined || token === null || token === '') throw noToken()
  if (typeof token !== 'string') throw parsingError('api_key is not a string')
  return { token, historical, sentAt: typeof sentAt === 'string' ? sentAt : undefined, events: objects }
}
