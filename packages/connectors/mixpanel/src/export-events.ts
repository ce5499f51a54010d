import type { IncomingMessage } from 'node:http'
import { pipeline, type Readable } from 'node:stream'
import { StringDecoder } from 'node:string_decoder'
import { createGunzip } from 'node:zlib'
import { type ExportContext, type ExportPage, RetriableError, SplitPartition } from '@ph-import/core'
import { authOf, exportUrl, mixpanelHttpError } from './api.js'
import { LocalTimeHint } from './local-time-hint.js'
import { splitWindow } from './plan.js'
import type { MixpanelConfig, RawMixpanelRecord } from './schema.js'

const PAGE = 1000

export function responseOf(stream: Readable): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    stream.once('response', resolve)
    stream.once('error', reject)
  })
}

export async function readText(stream: Readable): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer))
  return Buffer.concat(chunks).toString('utf8')
}

/** A non-JSON line: `terminated early` fails the window; anything else goes to the dead letters. */
function parseLine(line: string, where: string): RawMixpanelRecord | undefined {
  const text = line.endsWith('\r') ? line.slice(0, -1) : line
  if (text.trim() === '') return undefined
  try {
    return JSON.parse(text) as RawMixpanelRecord
  } catch {
    // Mixpanel ends a cut-short 200 with this line instead of failing the request (mixpanel-utils #5).
    if (/terminated early/i.test(text)) {
      throw new RetriableError(
        `${where}: Mixpanel ended the export with "${text.trim()}"; retrying the window`,
      )
    }
    return { $unparsable: text }
  }
}

/**
 * Streams one window of the raw export. No cursor: Mixpanel has none, so a window commits whole or
 * is fetched again from scratch (a reset, a truncated gzip or `terminated early` all throw).
 */
export async function* exportEvents(
  ctx: ExportContext<MixpanelConfig>,
): AsyncIterable<ExportPage<RawMixpanelRecord>> {
  const c = ctx.config
  const { from, to } = ctx.partition.params as { from: string; to: string }
  const where = `[mixpanel] export ${from}..${to}`
  const auth = authOf(c)
  const searchParams: Record<string, string> = {
    ...auth.project,
    from_date: from,
    to_date: to,
    // Never `limit`: it silently truncates and the API has no cursor to fetch the rest.
    time_in_ms: 'true',
  }
  if (c.events?.length) searchParams.event = JSON.stringify(c.events)
  if (c.where) searchParams.where = c.where
  const request = ctx.http.stream(exportUrl(c), {
    searchParams,
    headers: { ...auth.headers, 'accept-encoding': 'gzip' },
    decompress: false,
    throwHttpErrors: false,
    signal: ctx.signal,
  })
  const response = await responseOf(request)
  if ((response.statusCode ?? 0) >= 300) {
    const body = await readText(request).catch(() => '')
    throw mixpanelHttpError(response.statusCode ?? 0, body, response.headers['retry-after'], where, 'export')
  }
  const gzipped = /gzip/i.test(String(response.headers['content-encoding'] ?? ''))
  const body: Readable = gzipped ? pipeline(request, createGunzip(), () => {}) : request
  const splitAbove = c.targetWindowEvents * 2
  const decoder = new StringDecoder('utf8')
  let rest = ''
  let page: RawMixpanelRecord[] = []
  let count = 0
  // Only a job that reads times as UTC can be wrong about them.
  const hint = c.timezone === 'UTC' ? new LocalTimeHint() : undefined
  try {
    for await (const chunk of body) {
      // Split on \n only: Mixpanel values may hold \r or U+2028, which other splitters treat as breaks.
      const lines = (rest + decoder.write(chunk as Buffer)).split('\n')
      rest = lines.pop() ?? ''
      for (const line of lines) {
        const record = parseLine(line, where)
        if (!record) continue
        if ('properties' in record) hint?.add(record.properties)
        page.push(record)
      }
      if (page.length >= PAGE) {
        count += page.length
        yield { records: page }
        page = []
        if (count > splitAbove) {
          const halves = splitWindow(ctx.partition)
          if (halves) {
            throw new SplitPartition(
              `${where}: over ${splitAbove} events; splitting the window in two`,
              halves,
            )
          }
        }
      }
    }
  } finally {
    request.destroy()
  }
  const last = parseLine(rest + decoder.end(), where)
  if (last) page.push(last)
  if (!response.complete)
    throw new RetriableError(`${where}: the response was cut short; retrying the window`)
  // Checked before the last page is handed over: the window then commits nothing.
  const local = hint?.error(`${from}..${to}`)
  if (local) throw local
  if (page.length > 0) yield { records: page }
}
