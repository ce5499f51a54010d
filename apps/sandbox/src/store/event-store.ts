import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import type { AcceptedEvent } from '../capture/normalize.js'
import type { EventFilter, StoredEvent } from '../types.js'
import { forgetStats } from './queries.js'
import { ALL_TABLES, applySchema } from './schema.js'

export interface RequestRecord {
  route: string
  status: number
  events: number
  bytes: number
  sentAtSkewMs: number | undefined
  error: string | undefined
}

interface EventRow extends Omit<StoredEvent, 'properties' | 'historical'> {
  properties: string
  historical: number
}

const FILTER_COLUMNS = ['event', 'distinct_id', 'uuid', 'day'] as const

/** SQLite storage of every receipt. One transaction per capture request, as one Kafka batch would be. */
export class EventStore {
  readonly db: Database.Database
  private readonly insertRequest: Database.Statement
  private readonly insertEvent: Database.Statement
  private readonly insertPersonUpdate: Database.Statement
  private readonly insertLink: Database.Statement
  private readonly recordInTransaction: (r: RequestRecord, e: readonly AcceptedEvent[], h: boolean) => number

  constructor(dataDir: string) {
    if (dataDir === ':memory:') {
      this.db = new Database(':memory:')
    } else {
      mkdirSync(dataDir, { recursive: true })
      this.db = new Database(join(dataDir, 'sandbox.sqlite'))
    }
    applySchema(this.db)
    this.insertRequest = this.db.prepare(
      `INSERT INTO requests (received_at, route, status, events, stored, bytes, sent_at_skew_ms, error)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    this.insertEvent = this.db.prepare(
      `INSERT INTO events (uuid, event, distinct_id, timestamp, day, properties, received_at, historical, request_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    this.insertPersonUpdate = this.db.prepare(
      'INSERT INTO person_updates (seq, distinct_id, set_props, set_once_props, unset_props) VALUES (?, ?, ?, ?, ?)',
    )
    this.insertLink = this.db.prepare(
      'INSERT INTO identity_links (seq, kind, distinct_id, other_id, uuid) VALUES (?, ?, ?, ?, ?)',
    )
    this.recordInTransaction = this.db.transaction(this.writeRequest.bind(this))
  }

  /** Logs the request and stores `events` atomically: a crash leaves all of them or none. */
  record(request: RequestRecord, events: readonly AcceptedEvent[], historical: boolean): number {
    return this.recordInTransaction(request, events, historical)
  }

  private writeRequest(
    request: RequestRecord,
    events: readonly AcceptedEvent[],
    historical: boolean,
  ): number {
    const receivedAt = new Date().toISOString()
    const { route, status, bytes, sentAtSkewMs, error } = request
    const requestId = Number(
      this.insertRequest.run(
        receivedAt,
        route,
        status,
        request.events,
        events.length,
        bytes,
        sentAtSkewMs,
        error,
      ).lastInsertRowid,
    )
    const flag = historical ? 1 : 0
    for (const e of events) {
      const { lastInsertRowid: seq } = this.insertEvent.run(
        e.uuid,
        e.event,
        e.distinctId,
        e.timestamp,
        e.day,
        e.propertiesJson,
        receivedAt,
        flag,
        requestId,
      )
      if (e.person) this.insertPersonUpdate.run(seq, e.distinctId, ...personColumns(e.person))
      if (e.link) this.insertLink.run(seq, e.link.kind, e.distinctId, e.link.otherId, e.uuid)
    }
    return requestId
  }

  events(filter: EventFilter = {}): StoredEvent[] {
    const where: string[] = []
    const params: (string | number)[] = []
    for (const column of FILTER_COLUMNS) {
      const value = filter[column]
      if (value === undefined) continue
      where.push(`${column} = ?`)
      params.push(value)
    }
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''
    const sql = `SELECT * FROM events ${clause} ORDER BY seq LIMIT ? OFFSET ?`
    const rows = this.db.prepare(sql).all(...params, filter.limit ?? -1, filter.offset ?? 0) as EventRow[]
    return rows.map((row) => ({
      ...row,
      properties: JSON.parse(row.properties),
      historical: row.historical === 1,
    }))
  }

  uniqueUuids(): string[] {
    return this.db.prepare('SELECT DISTINCT uuid FROM events').pluck().all() as string[]
  }

  reset(): void {
    this.db.transaction(() => {
      for (const table of ALL_TABLES) this.db.exec(`DELETE FROM ${table}`)
    })()
    forgetStats(this.db)
  }

  close(): void {
    if (this.db.open) this.db.close()
  }
}

function personColumns(person: NonNullable<AcceptedEvent['person']>): (string | null)[] {
  const json = (value: unknown) => (value === undefined ? null : JSON.stringify(value))
  return [json(person.set), json(person.setOnce), json(person.unset)]
}
