import { z } from 'zod'

/** Accepts an array, or a comma-separated string as the CLI gives it. */
const fileList = z.preprocess(
  (v) =>
    typeof v === 'string'
      ? v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : v,
  z.array(z.string().min(1)).min(1),
)

export const JsonlConfig = z.object({
  files: fileList.describe('JSON-lines files or globs (.jsonl, .ndjson, .json, and .gz variants)'),
  eventKey: z.string().default('event').describe('key holding the event name'),
  distinctIdKey: z
    .string()
    .default('distinct_id')
    .describe(
      'key holding the distinct id, or keys tried in order, comma-separated (Segment: userId,anonymousId); falls back to properties.distinct_id',
    ),
  timestampKey: z
    .string()
    .default('timestamp')
    .describe('key holding the timestamp: ISO 8601, or epoch seconds/milliseconds'),
})
export type JsonlConfig = z.infer<typeof JsonlConfig>

/** One line as staged: where it came from, and its text (null when it is not valid UTF-8). */
export const RawJsonlLine = z.object({
  file: z.string(),
  fileId: z.string(),
  line: z.number(),
  text: z.string().nullable(),
  /** Set for a line over the size limit instead of its text: its length in bytes. */
  tooLong: z.number().optional(),
})
export type RawJsonlLine = z.infer<typeof RawJsonlLine>
