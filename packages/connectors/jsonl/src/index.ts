import path from 'node:path'
import { defineSource, expandFiles, fileIdentity } from '@ph-import/core'
import { checkJsonLinesFormat } from './check-format.js'
import { readLinePages } from './read-lines.js'
import { jsonlRejectCodes } from './reject-codes.js'
import { JsonlConfig, type RawJsonlLine } from './schema.js'
import { transformLine } from './transform.js'

export { JsonlConfig, RawJsonlLine } from './schema.js'
export { transformLine } from './transform.js'

/**
 * JSON-lines files of PostHog-shaped events (`{event, distinct_id, timestamp, properties, uuid?}`), e.g.
 * an export from another PostHog project, a warehouse dump or a data lake. One partition per file.
 */
export const jsonlSource = defineSource<typeof JsonlConfig, RawJsonlLine>({
  name: 'jsonl',
  description: 'JSON-lines files of PostHog-shaped events (plain or gzipped)',
  config: JsonlConfig,
  capabilities: { cursor: true },
  async plan({ config }) {
    const files = await expandFiles(config.files)
    return Promise.all(
      files.map(async (file) => {
        const rel = path.relative(process.cwd(), file) || file
        await checkJsonLinesFormat(file, rel, file.endsWith('.gz'))
        // The content identity (not the path) goes into uuids: a moved file re-imports as the same events.
        return {
          key: rel,
          order: rel,
          params: { path: file, rel, fileId: await fileIdentity(file), gz: file.endsWith('.gz') },
        }
      }),
    )
  },
  export({ partition, cursor }) {
    const p = partition.params as { path: string; rel: string; fileId: string; gz: boolean }
    return readLinePages(p, cursor as { offset: number; line: number } | undefined)
  },
  transform: transformLine,
  rejectCodes: jsonlRejectCodes,
})

export default jsonlSource
