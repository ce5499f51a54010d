import type { Database } from 'better-sqlite3'

// No secondary index on events: random uuids land all over a uuid index, so each 1000-event transaction
// rewrote ~1000 index pages into the WAL and inserts fell from ~300k/s to ~40k/s. Queries scan instead.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS requests (
  id INTEGER PRIMARY KEY,
  received_at TEXT NOT NULL,
  route TEXT NOT NULL,
  status INTEGER NOT NULL,
  events INTEGER NOT NULL,
  stored INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  sent_at_skew_ms INTEGER,
  error TEXT
);
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY,
  uuid TEXT NOT NULL,
  event TEXT NOT NULL,
  distinct_id TEXT NOT NULL,
  timestamp TEXT NOT NULL,
  day TEXT NOT NULL,
  properties TEXT NOT NULL,
  received_at TEXT NOT NULL,
  historical INTEGER NOT NULL,
  request_id INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS person_updates (
  seq INTEGER PRIMARY KEY,
  distinct_id TEXT NOT NULL,
  set_props TEXT,
  set_once_props TEXT,
  unset_props TEXT
);
CREATE TABLE IF NOT EXISTS identity_links (
  seq INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  distinct_id TEXT NOT NULL,
  other_id TEXT NOT NULL,
  uuid TEXT NOT NULL
);
`

export function applySchema(db: Database): void {
  db.pragma('journal_mode = WAL')
  // WAL + NORMAL survives a process crash; only an OS crash can lose the last transactions.
  db.pragma('synchronous = NORMAL')
  // Scans for stats run faster from a bigger page cache than the 2 MB default.
  db.pragma('cache_size = -131072')
  db.exec(SCHEMA)
}

export const ALL_TABLES = ['requests', 'events', 'person_updates', 'identity_links'] as const
