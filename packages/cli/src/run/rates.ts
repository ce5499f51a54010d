/** PostHog's managed-migration rate in events/s, the core's default. */
export const DEFAULT_RATE = 1000

/**
 * The rate a dry run without --rate gets: no pacing to speak of, far above what one process writes. A dry
 * run writes a file; held to PostHog's rate, a preview of 10M events would take 3 hours.
 */
export const UNPACED = 1e9
