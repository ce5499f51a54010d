import { z } from 'zod'
import type { PostHogEvent } from './posthog-event.js'

/**
 * The user's mapping file (`--mapping`, JSON or YAML): applied after the connector's own transform and
 * before validation, so every connector gets renames, drops, constants and filters for free.
 */
export const MappingConfig = z
  .object({
    events: z
      .object({
        rename: z.record(z.string(), z.string().min(1)).default({}).describe('event name → new name'),
        include: z.array(z.string()).optional().describe('only these event names are imported'),
        exclude: z
          .array(z.string())
          .default([])
          .describe('these event names are skipped (counted as filtered)'),
      })
      .strict()
      .default({ rename: {}, exclude: [] }),
    properties: z
      .object({
        rename: z.record(z.string(), z.string().min(1)).default({}).describe('property → new property name'),
        drop: z.array(z.string()).default([]).describe('properties removed from every event'),
        set: z
          .record(z.string(), z.unknown())
          .default({})
          .describe('constant properties added to every event'),
      })
      .strict()
      .default({ rename: {}, drop: [], set: {} }),
    /** Connector-specific overrides (e.g. Amplitude's event-name map); read by the connector itself. */
    source: z.record(z.string(), z.unknown()).default({}),
  })
  .strict()
export type MappingConfig = z.infer<typeof MappingConfig>

export type EventHook = (event: PostHogEvent) => PostHogEvent | PostHogEvent[] | null | undefined

/** Compiles a mapping into a per-event function; `null` means "filtered by the mapping". */
export function compileMapping(mapping: MappingConfig): EventHook {
  const { events, properties } = mapping
  const include = events.include ? new Set(events.include) : undefined
  const exclude = new Set(events.exclude)
  const renameEvents = new Map(Object.entries(events.rename))
  const renameProps = Object.entries(properties.rename)
  const dropProps = properties.drop
  const constants = Object.entries(properties.set)
  const noPropertyWork = renameProps.length === 0 && dropProps.length === 0 && constants.length === 0
  return (event) => {
    if (exclude.has(event.event) || (include && !include.has(event.event))) return null
    const name = renameEvents.get(event.event) ?? event.event
    if (noPropertyWork) return name === event.event ? event : { ...event, event: name }
    const props: Record<string, unknown> = { ...event.properties }
    for (const [from, to] of renameProps) {
      if (from in props) {
        props[to] = props[from]
        delete props[from]
      }
    }
    for (const key of dropProps) delete props[key]
    for (const [key, value] of constants) props[key] = value
    return { ...event, event: name, properties: props }
  }
}
