import { defineSource } from '@ph-import/core'
import { type CsvRow, exportFile } from './export.js'
import { planFiles } from './plan.js'
import { csvRejectCodes } from './reject-codes.js'
import { CsvConfig } from './schema.js'
import { transformRow } from './transform.js'

export const csvSource = defineSource<typeof CsvConfig, CsvRow>({
  name: 'csv',
  description: 'CSV/TSV files, plain or gzipped: one event per row',
  config: CsvConfig,
  capabilities: { cursor: true },
  plan: planFiles,
  export: exportFile,
  transform: transformRow,
  rejectCodes: csvRejectCodes,
})

export default csvSource

export type { CsvCursor, CsvRow } from './export.js'
export type { FileParams } from './plan.js'
export { ColumnType, CsvConfig } from './schema.js'
export { type ParsedTimestamp, parseTimestamp, type TimestampOptions } from './timestamp.js'
