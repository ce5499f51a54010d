import type { RejectAdvice } from '@ph-import/core'

/** What a user can do about each of this connector's reason codes (printed by `ph-import rejects`). */
export const csvRejectCodes: Readonly<Record<string, RejectAdvice>> = {
  missing_event_name: {
    remedy: 'config',
    advice: 'name the event column with --event-column, or give every row one name with --event',
  },
  missing_distinct_id: {
    remedy: 'config',
    advice: 'name a column every row fills with --distinct-id-column (or fill the empty cells in the file)',
  },
  missing_timestamp: {
    remedy: 'config',
    advice: 'name the time column with --timestamp-column (or fill the empty cells in the file)',
  },
  invalid_timestamp: {
    remedy: 'config',
    advice:
      'give the time format with --timestamp-format (and --timezone for local times); a day that does not exist is an input error',
  },
  invalid_value: { remedy: 'config', advice: 'correct the column type in --types, or the value in the file' },
  ragged_row: {
    remedy: 'input',
    advice: 'quote values that hold the delimiter, or check --delimiter; then import the file again',
  },
  invalid_utf8: {
    remedy: 'input',
    advice:
      'a file saved in another encoding: import it again with --encoding windows-1252 (Excel "CSV") or iso-8859-15; otherwise repair the bytes',
  },
  incomplete_last_row: {
    remedy: 'input',
    advice: 'wait until the file is complete (or restore its last line), then import it again',
  },
  unclosed_quote: {
    remedy: 'input',
    advice: 'close the quote the message points to, then import the file again',
  },
}
