/** One stored receipt of an event. Duplicates (resends) are separate rows with their own seq. */
export interface StoredEvent {
  seq: number
  uuid: string
  event: string
  distinct_id: string
  /** The event timestamp as sent (after capture's `offset` and future clamp), ISO 8601. */
  timestamp: string
  /** UTC date of `timestamp`, YYYY-MM-DD. */
  day: string
  properties: Record<string, unknown>
  received_at: string
  /** `historical_migration: true` on the `/batch/` body that carried it. */
  historical: boolean
  request_id: number
}

export interface EventFilter {
  event?: string
  distinct_id?: string
  uuid?: string
  day?: string
  limit?: number
  offset?: number
}

export interface FaultCounters {
  rate_limited: number
  errors: number
  partial_writes: number
  dropped: number
  delayed: number
  fail_next: number
  /** Requests answered 200 whose events were not stored (`overQuotaRate`). */
  over_quota: number
}

export interface SandboxStats {
  /** Every stored row, duplicates included. */
  received: number
  unique_uuids: number
  duplicates: number
  /**
   * Uuids received with more than one (event, distinct_id, UTC day). PostHog merges resends only when all
   * of those match as well (its table's sorting key), so such a resend stays a duplicate there.
   */
  conflicting_uuids: number
  events_by_name: Record<string, number>
  events_by_day: Record<string, number>
  distinct_ids: number
  /** Distinct ids that received at least one `$set`. */
  persons_set: number
  historical: number
  /** Capture requests answered (dropped connections are counted in faults only). */
  requests: number
  accepted_requests: number
  /** Events answered 200 and dropped because their key is not one the sandbox knows (`unknownKeys: 'drop'`). */
  unknown_key_events: number
  rejected_requests: Record<string, number>
  /** Requests whose `sent_at` was over a minute off: PostHog would shift their timestamps. */
  sent_at_skewed_requests: number
  faults: FaultCounters
}

export interface SandboxPerson {
  distinct_id: string
  /** `$set` / `$set_once` / `$unset` applied in arrival order, as PostHog does. */
  properties: Record<string, unknown>
  /** Ids merged with this one by `$identify` or `$create_alias`, either direction. */
  linked_distinct_ids: string[]
}

export interface IdentityLink {
  /** `$identify`, `$create_alias`, or `$merge_dangerously` (merged whatever the persons are). */
  kind: 'identify' | 'alias' | 'merge'
  distinct_id: string
  /** `$anon_distinct_id` of an `$identify`, or `alias` of a `$create_alias`. */
  other_id: string
  uuid: string
  seq: number
}

/** A person as PostHog's merges make it: the ids it holds, and whether an identity event identified it. */
export interface MergedPerson {
  distinct_ids: string[]
  identified: boolean
}

/** An identity event whose merge PostHog would refuse, and why. */
export interface RefusedMerge extends IdentityLink {
  reason: 'cannot_merge_already_identified' | 'illegal_distinct_id'
}

export interface PersonsView {
  /** Properties per distinct id, and the ids each is linked with. */
  persons: SandboxPerson[]
  links: IdentityLink[]
  /** Persons after PostHog's merge rules, applied in arrival order (`store/person-merges.ts`). */
  merged: MergedPerson[]
  /** The links whose merge PostHog would refuse. */
  refused_merges: RefusedMerge[]
}
